import dataclasses

from storedesk.core.events import Event


@dataclasses.dataclass(frozen=True)
class InboundPayloadStored(Event):
    name = "inbound_payload.stored"
    payload_id: int
    inbox_id: int
