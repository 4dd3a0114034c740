// The words golfer screens use for the analysis' names: events, camera views and faults. One place,
// so a fault has one name on every page (the statistics API words it the same way).

import { config } from "./api.mjs";

export const EVENT_NAMES = ["address", "toe_up", "mid_backswing", "top", "mid_downswing", "impact", "mid_follow_through", "finish"];

const EVENTS = {
  address: "Address", toe_up: "Toe up", mid_backswing: "Mid backswing", top: "Top",
  mid_downswing: "Mid downswing", impact: "Impact", mid_follow_through: "Follow through", finish: "Finish",
};
export const eventLabel = (name) => EVENTS[name] ?? name;

const VIEWS = {
  "face-on": "face-on (camera facing you)",
  "down-the-line": "down the line (camera behind you)",
  other: "at an angle (neither face-on nor down the line)",
};
export const viewLabel = (view) => VIEWS[view] ?? view;

// "hip_shift_impact:low" -> "Hip shift at impact: too low"
export function faultText(fault) {
  const [metric, status] = fault.split(":");
  return `${config().metricLabels?.[metric] ?? metric.replaceAll("_", " ")}: too ${status}`;
}
