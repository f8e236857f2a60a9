// What the bench upstream serves that a scenario must also know: the PIN of upstream person i.
// 7-digit PINs, distinct (7919 is coprime with 8,999,999), never equal to the bench's 8-digit local PINs.
export const upstreamPin = (i) => String(1_000_000 + ((i * 7919) % 8_999_999));
