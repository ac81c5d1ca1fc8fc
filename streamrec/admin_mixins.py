"""What several apps' admin classes share."""


class RecordAdminMixin:
    """For rows that record what happened (runs, ratings, model versions): shown in full, never
    added or edited by hand."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
