from storedesk.inboxes.events import InboundPayloadStored


def enqueue_processing(event: InboundPayloadStored) -> None:
    from storedesk.inboxes.tasks import process_payload

    process_payload(event.payload_id)
