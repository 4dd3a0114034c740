// Python's round() and numpy's np.round: halves go to the even neighbour (Math.round rounds them up).
// The swing finder and the payload packing round as the Python code they mirror does.
export function roundHalfEven(value) {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
