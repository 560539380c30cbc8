import type { Kysely } from 'kysely';
import { providerConnection, type ProviderConnection } from '../../db/messaging/providers';
import type { Database } from '../../db/schema';
import type { ChannelKind } from '../../engine/messaging/contracts';
import type { InboundEvent } from '../../engine/messaging/inbound';
import type { InboundSource } from '../../db/messaging/inbound';
import type { Logger } from '../../platform/logger';
import type { Channel } from '../channels/channel';
import { EmailChannel } from '../channels/email';
import { SmppChannel } from '../channels/smpp';
import { TelegramChannel } from '../channels/telegram';
import { ViberChannel } from '../channels/viber';

/** The platform's own SMSC and SMTP server for programs with no provider (the sinks of `npm start`). */
export interface DefaultChannels {
  sms?: { host: string; port: number } | undefined;
  email?: { host: string; port: number } | undefined;
}

/** Stores what a provider reported; settles once stored (an SMSC is answered then). */
export type InboundSink = (source: InboundSource, events: InboundEvent[]) => Promise<void>;

/** A program's provider as a live connection, built from its stored settings and opened credentials. */
function channelOf(
  provider: ProviderConnection,
  inbound: (events: InboundEvent[]) => void,
  log: Logger,
): Channel {
  const { config } = provider;
  switch (config.channel) {
    case 'sms':
      return new SmppChannel(
        { ...config.settings, password: config.credentials.password },
        (event) => inbound([event]),
        log,
      );
    case 'email':
      return new EmailChannel({ ...config.settings, ...config.credentials });
    case 'viber':
      return new ViberChannel({ ...config.settings, authToken: config.credentials.authToken });
    case 'telegram':
      return new TelegramChannel({ baseUrl: config.settings.baseUrl, botToken: config.credentials.botToken });
  }
}

/**
 * The sender's connections: one per provider (rebuilt when the provider is saved again) and one per
 * default channel. An SMPP bind is a scarce thing (SMSCs allow an account few), so connections live
 * as long as the process and are shared by every batch.
 */
export class ChannelRegistry {
  private readonly providers = new Map<number, { version: string; channel: Channel }>();
  private readonly defaults = new Map<ChannelKind, Channel>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly secret: string,
    private readonly defaultChannels: DefaultChannels,
    private readonly inbound: InboundSink,
    private readonly log: Logger,
  ) {}

  /** The connection for a message's provider, or the default channel; null when neither exists any more. */
  async channelFor(providerId: number | null, channel: ChannelKind): Promise<Channel | null> {
    if (providerId === null) return this.defaultChannel(channel);
    const provider = await providerConnection(this.db, providerId, this.secret);
    const cached = this.providers.get(providerId);
    if (cached && cached.version === provider?.version) return cached.channel;
    if (cached) {
      this.providers.delete(providerId);
      void cached.channel
        .close()
        .catch((error: unknown) => this.log.warn({ err: error }, 'closing a provider'));
    }
    if (!provider) return null;
    const live = channelOf(
      provider,
      (events) =>
        this.inbound(
          { programId: provider.programId, providerId: provider.id, channel: provider.config.channel },
          events,
        ),
      this.log,
    );
    this.providers.set(providerId, { version: provider.version, channel: live });
    return live;
  }

  private defaultChannel(channel: ChannelKind): Channel | null {
    const existing = this.defaults.get(channel);
    if (existing) return existing;
    const source = { programId: null, providerId: null } as const;
    let live: Channel | null = null;
    if (channel === 'sms' && this.defaultChannels.sms) {
      live = new SmppChannel(
        {
          ...this.defaultChannels.sms,
          systemId: 'loyalflow',
          password: 'local',
          senderId: 'Loyalflow',
          window: 50,
          ratePerSecond: 100_000,
          reconnectMinMs: 200,
          reconnectMaxMs: 5_000,
          // A local sink answers at once or is down: a message waits no longer for it.
          submitTimeoutMs: 2_000,
        },
        (event) => this.inbound({ ...source, channel: 'sms' }, [event]),
        this.log,
      );
    } else if (channel === 'email' && this.defaultChannels.email) {
      live = new EmailChannel({
        ...this.defaultChannels.email,
        secure: false,
        from: { address: 'messages@loyalflow.localhost', name: 'Loyalflow' },
        maxConnections: 2,
        ratePerSecond: 1_000,
      });
    }
    if (live) this.defaults.set(channel, live);
    return live;
  }

  async close(): Promise<void> {
    const all = [...[...this.providers.values()].map((p) => p.channel), ...this.defaults.values()];
    this.providers.clear();
    this.defaults.clear();
    await Promise.allSettled(all.map((channel) => channel.close()));
  }
}
