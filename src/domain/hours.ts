/** When a queue of human agents is staffed. */
export interface OpeningHours {
  /** IANA time zone, e.g. Europe/Paris. */
  timeZone: string;
  /** Days open, 1 = Monday ... 7 = Sunday. */
  days: number[];
  /** "09:00" and "19:00", local time. */
  open: string;
  close: string;
}
