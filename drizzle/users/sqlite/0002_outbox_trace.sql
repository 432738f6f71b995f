ALTER TABLE `outbox` ADD `traceparent` text;--> statement-breakpoint
ALTER TABLE `outbox` ADD `tracestate` text;