/** The API shapes the console reads (spec §2 and §5); only the fields it uses. */

type Role = "owner" | "admin" | "member";

export interface Page<T> {
  data: T[];
  total: number;
  offset: number;
  limit: number;
}

export interface Organization {
  id: string;
  name: string;
  role: Role;
}

export interface Me {
  user: { id: string; email: string; name: string };
  org: Organization | null;
  role: Role | null;
}

export interface AuthTokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  user: { email: string };
}

interface CapabilityRef {
  ref: string;
  config: Record<string, unknown>;
}

export interface Agent {
  id: string;
  name: string;
  description: string | null;
  system_prompt: string;
  default_model_id: string | null;
  capabilities: CapabilityRef[];
  status: "active" | "archived";
  updated_at: string;
}

export interface Capability {
  id: string;
  name: string;
  description: string;
  category: string;
  status: "available" | "unavailable";
}

export interface McpServer {
  id: string;
  name: string;
  url: string;
  headers_set: boolean;
  capability_id: string;
}

export interface McpTool {
  name: string;
  description: string;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
}

export interface Session {
  id: string;
  agent_id: string;
  title: string | null;
  status: string;
  created_at: string;
  usage: Usage;
}

export type ContentPart =
  | { type: "text"; text: string }
  | { type: "image"; url?: string; media_type?: string }
  | { type: "tool_call"; id: string; name: string; arguments: Record<string, unknown> }
  | { type: "tool_result"; tool_call_id: string; result: unknown; error: string | null };

export interface Message {
  id: string;
  sequence: number;
  role: "user" | "agent" | "tool_result";
  content: ContentPart[];
}

export interface LlmProvider {
  id: string;
  name: string;
  provider_type: "openai" | "anthropic" | "llmsim";
  base_url: string | null;
  api_key_set: boolean;
  status: "active" | "disabled";
}

export interface LlmModel {
  id: string;
  provider_id: string;
  model_id: string;
  display_name: string | null;
  is_default: boolean;
  status: "active" | "disabled";
  provider: { id: string; name: string; provider_type: string };
}

/** Every event envelope of a session's stream and of its JSON list (spec §5). */
export interface EventEnvelope {
  id: string;
  type: string;
  ts: string;
  session_id: string;
  sequence: number;
  context: { turn_id: string | null; input_message_id: string | null };
  data: Record<string, unknown>;
}

export type WebhookEventType = "session.idle" | "session.action_required" | "turn.failed" | "session.deleted";

export interface Webhook {
  id: string;
  url: string;
  description: string | null;
  event_types: WebhookEventType[];
  status: "enabled" | "disabled";
  disabled_reason: string | null;
  previous_secret_expires_at: string | null;
  created_at: string;
}

/** The answer of create and rotate-secret: the only time the secret is shown. */
export interface WebhookWithSecret extends Webhook {
  secret: string;
}

export interface WebhookDelivery {
  id: string;
  message_id: string;
  event_type: string;
  attempt: number | null;
  status: "succeeded" | "failed" | "dead_lettered";
  response_status: number | null;
  duration_ms: number | null;
  error: string | null;
  created_at: string;
}
