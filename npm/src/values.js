// What an attribute value may be, and how a refused one is described in a report.

// A value as error messages show it. Never throws: symbols and hostile objects included.
export function describe(value) {
  try {
    if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
    if (typeof value === 'number') return String(value);
    if (value === null) return 'null';
    if (Array.isArray(value)) return 'an array';
    return typeof value;
  } catch {
    return 'a value';
  }
}

// An attribute value as it will be recorded (arrays copied), or undefined when it is not a
// string, number, boolean, or an array of one of those.
export function attributeValue(value) {
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return value;
  if (!Array.isArray(value)) return undefined;
  let itemType;
  for (const item of value) {
    const type = typeof item;
    if (type !== 'string' && type !== 'number' && type !== 'boolean') return undefined;
    // OpenTelemetry's arrays are homogeneous.
    if (itemType !== undefined && type !== itemType) return undefined;
    itemType = type;
  }
  return value.slice();
}
