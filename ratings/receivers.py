"""A user's ratings, watchlist, dismissals or viewings saved or deleted through the ORM by any path (admin,
a shell, a cascade) move the user's cache revision (``streamrec.cache``). The services call
``user_changed`` themselves for the writes that send no signals (UPDATEs, bulk paths)."""
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from streamrec.cache import user_changed

from .models import Dismissal, Rating, Viewing, WatchlistEntry


@receiver([post_save, post_delete], sender=Rating)
@receiver([post_save, post_delete], sender=WatchlistEntry)
@receiver([post_save, post_delete], sender=Dismissal)
@receiver([post_save, post_delete], sender=Viewing)
def users_data_changed(sender, instance, **kwargs):
    user_changed(instance.user_id)
