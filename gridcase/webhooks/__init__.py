"""Webhooks: case events pushed to subscribed systems as signed JSON, through an outbox filled in
the event's transaction and sent by the scheduler process with retries and back-off."""
