// A raw xDS client for tests: one grpc-js stream (SotW or delta, ADS or a per-type
// service) speaking the binary codec, with a queue of decoded responses and their
// sizes on the wire. It deliberately does nothing on its own (no automatic ACKs), so
// tests drive every step of the protocol.
import * as grpc from '@grpc/grpc-js';
import type { envoy } from '../../../src/api/envoy-types.generated.js';
import { messageFromBinary, messageToBinary } from '../../../src/api/proto/binary.js';
import { ADS_SERVICE, serviceDefinition, type XdsServiceSpec } from '../../../src/discovery/xds/services.js';

export type DiscoveryRequest = envoy.service.discovery.v3.DiscoveryRequest;
export type DiscoveryResponse = envoy.service.discovery.v3.DiscoveryResponse;
export type DeltaDiscoveryRequest = envoy.service.discovery.v3.DeltaDiscoveryRequest;
export type DeltaDiscoveryResponse = envoy.service.discovery.v3.DeltaDiscoveryResponse;

type Received<T> = T & { bytes: number };

const NS = 'envoy.service.discovery.v3.';

export class XdsTestClient<Req, Res> {
  private readonly queue: Received<Res>[] = [];
  private readonly waiters: Array<(r: Received<Res> | Error) => void> = [];
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<Uint8Array, Buffer>;
  /** Resolves with the stream's final status. */
  readonly ended: Promise<grpc.StatusObject>;

  private constructor(port: number, spec: XdsServiceSpec, method: string, private readonly requestType: string, responseType: string) {
    const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(spec), spec.name);
    this.client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    this.call = (this.client as unknown as Record<string, () => grpc.ClientDuplexStream<Uint8Array, Buffer>>)[method]!.call(this.client);
    this.call.on('data', (buf: Buffer) => {
      const message = { ...messageFromBinary<Res>(NS + responseType, buf), bytes: buf.length } as Received<Res>;
      const waiter = this.waiters.shift();
      if (waiter) waiter(message);
      else this.queue.push(message);
    });
    this.call.on('error', () => {});
    this.ended = new Promise((resolve) =>
      this.call.on('status', (status: grpc.StatusObject) => {
        for (const w of this.waiters.splice(0)) w(new Error(`stream ended: ${status.code} ${status.details}`));
        resolve(status);
      }),
    );
  }

  static sotw(port: number, spec: XdsServiceSpec = ADS_SERVICE): XdsTestClient<DiscoveryRequest, DiscoveryResponse> {
    return new XdsTestClient(port, spec, spec.stream, 'DiscoveryRequest', 'DiscoveryResponse');
  }

  static delta(port: number, spec: XdsServiceSpec = ADS_SERVICE): XdsTestClient<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
    return new XdsTestClient(port, spec, spec.delta, 'DeltaDiscoveryRequest', 'DeltaDiscoveryResponse');
  }

  send(request: Req): void {
    this.call.write(messageToBinary(NS + this.requestType, request));
  }

  sendRaw(bytes: Uint8Array): void {
    this.call.write(bytes);
  }

  /** The next response (queued or future); rejects after `timeoutMs` or when the stream ends. */
  next(timeoutMs = 5000): Promise<Received<Res>> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no xDS response within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (r: Received<Res> | Error) => {
        clearTimeout(timer);
        if (r instanceof Error) reject(r);
        else resolve(r);
      };
      this.waiters.push(waiter);
    });
  }

  /** Responses received and not yet taken with next(). */
  get queued(): number {
    return this.queue.length;
  }

  close(): void {
    this.call.end();
    this.client.close();
  }
}

export type SotwClient = XdsTestClient<DiscoveryRequest, DiscoveryResponse>;
export type DeltaClient = XdsTestClient<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

/** The ACK of a SotW response, keeping the names the client subscribes to. */
export function ackOf(response: DiscoveryResponse, resourceNames: string[] = []): DiscoveryRequest {
  return { type_url: response.type_url, version_info: response.version_info, response_nonce: response.nonce, resource_names: resourceNames };
}

/** Names of the resources in a SotW response, in order. */
export function namesIn(response: DiscoveryResponse): string[] {
  return (response.resources ?? []).map((r) => String((r as Record<string, unknown>).name ?? (r as Record<string, unknown>).cluster_name));
}
