// The floor's one activity: POST the delivery as JSON; a non-2xx answer fails the attempt (retried).
export interface FloorActivities {
  deliver(url: string, delivery: { id: string; ts: number }): Promise<void>;
}

export const activities: FloorActivities = {
  async deliver(url, delivery) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(delivery) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  },
};
