import { type Labels, matchesAll } from '../labels.ts';
import type { Route, RouteSettings } from './config.ts';

/**
 * The routes an alert takes, as Alertmanager walks its tree: depth first into the first matching child (and on to
 * its siblings only when that child says `continue`); a node none of whose children match handles the alert itself.
 */
export function matchRoutes(route: Route, labels: Labels): RouteSettings[] {
  const found: RouteSettings[] = [];
  for (const child of route.routes) {
    if (!matchesAll(labels, child.matchers)) continue;
    found.push(...matchRoutes(child, labels));
    if (!child.continue) break;
  }
  return found.length ? found : [route];
}

/** The labels an alert is grouped by on a route, and the group's key (shaped like Alertmanager's groupKey). */
export function groupOf(route: RouteSettings, labels: Labels): { key: string; labels: Labels } {
  const names = route.groupBy === 'all' ? Object.keys(labels).sort() : route.groupBy;
  const groupLabels: Labels = {};
  for (const name of names) if (labels[name] !== undefined) groupLabels[name] = labels[name];
  const text = Object.entries(groupLabels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  return { key: `{receiver=${JSON.stringify(route.receiver)}}:{${text}}`, labels: groupLabels };
}
