"""Catalog changes that move the catalog revision of the shared cache (``streamrec.cache``), so
every kept list that shows titles is made again. Writes in bulk (imports, ``set_titles_active``)
send no signals and call ``catalog_changed`` themselves."""
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from streamrec.cache import catalog_changed

from .models import Genre, Title


@receiver([post_save, post_delete], sender=Title)
@receiver(m2m_changed, sender=Title.genres.through)
@receiver([post_save, post_delete], sender=Genre)
def titles_changed(sender, **kwargs):
    catalog_changed()
