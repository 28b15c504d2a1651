/**
 * The demo upstream's world: a simulated message-broker admin service with brokers and their
 * users. Plain data and pure operations; the Durable Object persists it between requests.
 */

export interface Broker {
  id: string;
  name: string;
  engine: "RabbitMQ" | "ActiveMQ";
  state: "RUNNING" | "REBOOTING";
  instanceType: string;
  config: Record<string, string>;
  users: string[];
  reboots: number;
}

export interface World {
  brokers: Broker[];
}

/** The world a fresh demo starts with. */
export function seedWorld(): World {
  return {
    brokers: [
      {
        id: "b-1234-orders",
        name: "orders",
        engine: "RabbitMQ",
        state: "RUNNING",
        instanceType: "mq.m5.large",
        config: { "max-connections": "500", "heartbeat-seconds": "60" },
        users: ["admin", "orders-service"],
        reboots: 0,
      },
      {
        id: "b-5678-billing",
        name: "billing",
        engine: "ActiveMQ",
        state: "RUNNING",
        instanceType: "mq.t3.micro",
        config: { "max-connections": "100" },
        users: ["admin", "billing-service", "auditor"],
        reboots: 0,
      },
    ],
  };
}

/** Finds a broker by id or name. */
export function findBroker(world: World, brokerId: string): Broker | undefined {
  return world.brokers.find((broker) => broker.id === brokerId || broker.name === brokerId);
}
