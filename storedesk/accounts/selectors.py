"""Who may see what: the one place store scoping is decided.

Every list, lookup, search, export, download and websocket subscription filters through
:func:`visible_store_ids` / :func:`scope_to_stores`, so a restricted agent's limits hold on
every path.
"""

from django.db.models import Q, QuerySet

from storedesk.accounts.enums import Role
from storedesk.accounts.models import Agent, Team


def visible_store_ids(actor: Agent) -> frozenset[int] | None:
    """The ids of the stores ``actor`` may see, or ``None`` for "every store".

    Inactive or anonymous actors see nothing. Restricted agents see only their listed stores.
    """
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return frozenset()
    if actor.is_restricted:
        cached = getattr(actor, "_visible_store_ids", None)
        if cached is None:
            cached = frozenset(actor.stores.values_list("id", flat=True))
            actor._visible_store_ids = cached
        return cached
    return None


def scope_to_stores(queryset: QuerySet, actor: Agent, *, field: str = "store_id") -> QuerySet:
    """Filter ``queryset`` to the rows of the stores ``actor`` may see."""
    store_ids = visible_store_ids(actor)
    if store_ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": store_ids})


def can_see_store(actor: Agent, store_id: int) -> bool:
    store_ids = visible_store_ids(actor)
    return store_ids is None or store_id in store_ids


def agent_list(*, actor: Agent) -> QuerySet[Agent]:
    """Active agents the actor may pick (assign, dedicate). A restricted actor sees the agents
    who can work in one of its stores: every unrestricted agent (so it can escalate to the
    in-house team) and restricted agents sharing a store, never another vendor's people."""
    agents = Agent.objects.filter(is_active=True).order_by("username")
    store_ids = visible_store_ids(actor)
    if store_ids is not None:
        agents = agents.filter(
            ~Q(role=Role.RESTRICTED) | Q(is_superuser=True) | Q(stores__in=store_ids)
        ).distinct()
    return agents


def team_list() -> QuerySet[Team]:
    return Team.objects.all()
