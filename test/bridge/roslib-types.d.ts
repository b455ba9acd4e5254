/**
 * The part of roslib 2's API these tests use. roslib ships its types as `export * from
 * './src/RosLib'` (an extensionless ESM re-export) that NodeNext resolution cannot follow, so
 * `import { Ros } from 'roslib'` would type as empty; this ambient declaration stands in.
 */
declare module 'roslib' {
  export class Ros {
    constructor(options?: { url?: string });
    readonly isConnected: boolean;
    connect(url: string): Promise<void>;
    close(): void;
    on(event: string, fn: (arg: unknown) => void): this;
    getTopics(callback: (result: { topics: string[]; types: string[] }) => void, failedCallback?: (error: unknown) => void): void;
    getServices(callback: (services: string[]) => void, failedCallback?: (error: unknown) => void): void;
    authenticate(mac: string, client: string, dest: string, rand: string, t: number, level: string, end: number): void;
  }
  export class Topic<T = unknown> {
    constructor(options: { ros: Ros; name: string; messageType: string; compression?: string; throttle_rate?: number; queue_length?: number });
    subscribe(fn: (message: T) => void): void;
    unsubscribe(fn?: (message: T) => void): void;
    publish(message: T): void;
  }
  export class Service<Req = unknown, Res = unknown> {
    constructor(options: { ros: Ros; name: string; serviceType: string });
    callService(request: Req, callback: (response: Res) => void, failedCallback?: (error: unknown) => void, timeout?: number): void;
  }
}
