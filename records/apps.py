from typing import Any

from django.apps import AppConfig
from django.db.models.signals import m2m_changed


def _rooms_changed(
    sender: Any, *, instance: Any, action: str, reverse: bool, **kwargs: Any
) -> None:
    """A member of staff's rooms changed (from either side): seal them again (core.integrity)."""
    from .models import Staff, seal_rooms  # models load after the app registry is ready

    if reverse and action == "pre_clear":
        # From the room's side, a clear names nobody afterwards: remember who was in it.
        instance._confide_cleared_staff = list(instance.staff.values_list("pk", flat=True))
    if not action.startswith("post_"):
        return
    if not reverse:
        seal_rooms(instance)
        return
    # From the room's side (room.staff.add(...)): every member of staff it names.
    named: Any = kwargs.get("pk_set") or getattr(instance, "_confide_cleared_staff", ())
    pks = list(named)
    for staff in Staff.objects.filter(pk__in=pks):
        seal_rooms(staff)


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = "Records"

    def ready(self) -> None:
        from audit.log import follow
        from core import keys

        from .models import Setting, Staff

        follow(
            self,
            exclude_fields={"Staff": ["row_seal", "rooms_seal"]}
            | {name: ["row_seal"] for name in ("NeedToKnowGrant", "ActingLead", "BreakGlass")},
        )
        m2m_changed.connect(
            _rooms_changed, sender=Staff.rooms.through, dispatch_uid="confide_rooms_seal"
        )
        # The working setting, and the setting of a child or member of staff, for the key
        # hierarchy: their keys are wrapped under their own setting's key.
        keys.register_setting(Setting.current_id, _setting_of_owner)


def _setting_of_owner(owner: Any) -> Any:
    from core import keys

    from .models import Child, Staff

    model = {keys.CHILD: Child, keys.STAFF: Staff}.get(owner.scope)
    if model is None:
        return None
    return model._base_manager.filter(pk=owner.id).values_list("setting_id", flat=True).first()
