"""The device side (`swingcoach edge`): live capture, adaptive pose rate, swings cut from a ring
buffer, a local library, a durable upload outbox, an MJPEG live view and MQTT telemetry."""
