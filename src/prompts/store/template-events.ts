import type { Queryable } from '../../store/postgres.ts';

/** What the notification routes tell about templates: a version published, a label moved (or removed). */
export type TemplateEventType = 'template.version.published' | 'template.label.moved';

export interface TemplateEvent {
  id: string;
  type: TemplateEventType;
  template: string;
  actor: string;
  data: Record<string, unknown>;
  occurred_at: Date;
}

/**
 * Records a template change for the notification routes, inside the transaction that made it: the event exists
 * exactly when the change does. The active scheduler routes it (see routeTemplateEvents).
 */
export async function recordTemplateEvent(
  tx: Queryable,
  event: { type: TemplateEventType; templateId: string; actor: string; data: Record<string, unknown> },
): Promise<void> {
  await tx`insert into template_events (type, template, actor, data)
    select ${event.type}, name, ${event.actor}, ${tx.json(event.data as never)} from templates
    where id = ${event.templateId}`;
}
