"""What the ratings app tells other apps."""
from django.dispatch import Signal

# Sent by the services (``user=``) after a user's ratings or dismissals changed, inside the write's
# transaction if there is one: what was derived from them is stale.
ratings_changed = Signal()
