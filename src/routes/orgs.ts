import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-router";
import { traits } from "../middleware/traits";
import { errorResponses, idParam, jsonBody, jsonResponse } from "../schemas/common";
import { CreateOrganizationSchema, OrganizationSchema, UpdateOrganizationSchema } from "../schemas/orgs";
import { createOrganization, getOrganization, listOrganizations, updateOrganization } from "../services/orgs";

const tags = ["Organizations"];
const OrgParams = z.object({ org_id: idParam("org", "org_id") });

const listOrgsRoute = createRoute({
  method: "get",
  path: "/v1/orgs",
  middleware: traits({ access: "signed-in" }),
  operationId: "listOrganizations",
  tags,
  summary: "The organizations you belong to, with your role in each (an API key sees only its own)",
  responses: {
    200: jsonResponse(z.object({ data: z.array(OrganizationSchema) }), "Your organizations"),
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

const createOrgRoute = createRoute({
  method: "post",
  path: "/v1/orgs",
  middleware: traits({ access: "signed-in", idempotent: { userLevel: true } }),
  operationId: "createOrganization",
  tags,
  summary: "Create an organization; you become its owner",
  request: { body: jsonBody(CreateOrganizationSchema) },
  responses: { 201: jsonResponse(OrganizationSchema, "The new organization"), ...errorResponses(400, 401, 403, 404, 413, 415, 429) },
});

const getOrgRoute = createRoute({
  method: "get",
  path: "/v1/orgs/{org_id}",
  middleware: traits({ access: "org", orgFromPath: true }),
  operationId: "getOrganization",
  tags,
  summary: "An organization you belong to",
  request: { params: OrgParams },
  responses: { 200: jsonResponse(OrganizationSchema, "The organization"), ...errorResponses(400, 401, 404, 429) },
});

const updateOrgRoute = createRoute({
  method: "patch",
  path: "/v1/orgs/{org_id}",
  middleware: traits({ access: "org", orgFromPath: true, role: "owner" }),
  operationId: "updateOrganization",
  tags,
  summary: "Rename an organization (owner)",
  request: { params: OrgParams, body: jsonBody(UpdateOrganizationSchema) },
  responses: { 200: jsonResponse(OrganizationSchema, "The updated organization"), ...errorResponses(400, 401, 403, 404, 413, 415, 429) },
});

export const orgsRouter = createRouter()
  .openapi(listOrgsRoute, async (c) => {
    const { db, caller } = c.var;
    const principal = c.var.principal ?? null;
    // An API key is bound to one org (it always has one), so that is all it may see.
    const data =
      principal !== null && principal.apiKeyId !== null
        ? [await getOrganization(db, principal.orgId, principal.role)]
        : await listOrganizations(db, caller.userId);
    return c.json({ data }, 200);
  })
  // Open to a user with no organization: this is how they get one.
  .openapi(createOrgRoute, async (c) => c.json(await createOrganization(c.var.db, c.var.caller.userId, c.req.valid("json")), 201))
  .openapi(getOrgRoute, async (c) => c.json(await getOrganization(c.var.db, c.var.principal.orgId, c.var.principal.role), 200))
  .openapi(updateOrgRoute, async (c) => {
    const { orgId, role } = c.var.principal;
    return c.json(await updateOrganization(c.var.db, orgId, role, c.req.valid("json")), 200);
  });
