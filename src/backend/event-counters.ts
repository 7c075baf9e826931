// EventCounters are the bus's running totals, plain numbers bumped where
// the work happens (no allocation per event) and read by the metrics
// endpoint when scraped: events published by type, events handed to
// subscribers, events dropped with a subscriber cut off for falling behind,
// and the subscribers cut off.
export class EventCounters {
  // publishedByType[type] counts events of that EventType number.
  readonly publishedByType: number[] = [];
  delivered = 0;
  dropped = 0;
  cutOff = 0;
  // monitorDeaths counts exits whose monitor died without recording them.
  monitorDeaths = 0;

  published(type: number, monitorDied: boolean): void {
    this.publishedByType[type] = (this.publishedByType[type] ?? 0) + 1;
    if (monitorDied) this.monitorDeaths++;
  }
}
