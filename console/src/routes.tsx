import type { ApiClient } from "./api/client";
import { AgentFormPage } from "./pages/agent-form-page";
import { AgentPage } from "./pages/agent-page";
import { AgentsPage } from "./pages/agents-page";
import { ChatPage } from "./pages/chat-page";
import { McpServersPage } from "./pages/mcp-servers-page";
import { ProvidersPage } from "./pages/providers-page";
import { WebhooksPage } from "./pages/webhooks-page";
import { useHashPath } from "./ui/router";

/** The pages, by the path in the URL's hash. */
export function Routes({ api, isAdmin }: { api: ApiClient; isAdmin: boolean }) {
  const path = useHashPath();
  if (path === "/agents/new") return <AgentFormPage api={api} agentId={null} />;
  const editAgent = path.match(/^\/agents\/([\w-]+)\/edit$/);
  if (editAgent) return <AgentFormPage api={api} agentId={editAgent[1] ?? ""} />;
  const agent = path.match(/^\/agents\/([\w-]+)$/);
  if (agent) return <AgentPage api={api} agentId={agent[1] ?? ""} />;
  const session = path.match(/^\/sessions\/([\w-]+)$/);
  if (session) return <ChatPage api={api} sessionId={session[1] ?? ""} />;
  if (path === "/providers") {
    return isAdmin ? <ProvidersPage api={api} /> : <p>Providers and models are managed by the organization's admins and owners.</p>;
  }
  if (path === "/mcp-servers") {
    return isAdmin ? <McpServersPage api={api} /> : <p>MCP servers are managed by the organization's admins and owners.</p>;
  }
  if (path === "/webhooks") {
    return isAdmin ? <WebhooksPage api={api} /> : <p>Webhooks are managed by the organization's admins and owners.</p>;
  }
  return <AgentsPage api={api} />;
}
