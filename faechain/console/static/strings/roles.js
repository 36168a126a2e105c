// Console labels of roles: key -> [中文, English] (merged into i18n.js's table).
export const STRINGS = {
};
