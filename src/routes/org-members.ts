import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-router";
import { traits } from "../middleware/traits";
import { errorResponses, idParam, jsonBody, jsonResponse } from "../schemas/common";
import { AddMemberSchema, MemberSchema, UpdateMemberSchema } from "../schemas/orgs";
import { addMember, getMember, listMembers, removeMember, updateMember } from "../services/members";

const tags = ["Organizations"];
const OrgParams = z.object({ org_id: idParam("org", "org_id") });
const MemberParams = OrgParams.extend({ user_id: idParam("user", "user_id") });

const listMembersRoute = createRoute({
  method: "get",
  path: "/v1/orgs/{org_id}/members",
  middleware: traits({ access: "org", orgFromPath: true }),
  operationId: "listMembers",
  tags,
  summary: "The organization's members and their roles",
  request: { params: OrgParams },
  responses: {
    200: jsonResponse(z.object({ data: z.array(MemberSchema) }), "Members, in the order they joined"),
    ...errorResponses(400, 401, 404, 429),
  },
});

const getMemberRoute = createRoute({
  method: "get",
  path: "/v1/orgs/{org_id}/members/{user_id}",
  middleware: traits({ access: "org", orgFromPath: true }),
  operationId: "getMember",
  tags,
  summary: "One member of the organization and their role",
  request: { params: MemberParams },
  responses: { 200: jsonResponse(MemberSchema, "The member"), ...errorResponses(400, 401, 404, 429) },
});

const addMemberRoute = createRoute({
  method: "post",
  path: "/v1/orgs/{org_id}/members",
  middleware: traits({ access: "org", idempotent: true, orgFromPath: true, role: "admin" }),
  operationId: "addMember",
  tags,
  summary: "Add an existing user by email (admin; only owners can add owners)",
  request: { params: OrgParams, body: jsonBody(AddMemberSchema) },
  responses: { 201: jsonResponse(MemberSchema, "The new member"), ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429) },
});

const updateMemberRoute = createRoute({
  method: "patch",
  path: "/v1/orgs/{org_id}/members/{user_id}",
  middleware: traits({ access: "org", orgFromPath: true, role: "admin" }),
  operationId: "updateMember",
  tags,
  summary: "Change a member's role (admin; only owners can grant owner or change an owner; the last owner stays)",
  request: { params: MemberParams, body: jsonBody(UpdateMemberSchema) },
  responses: { 200: jsonResponse(MemberSchema, "The member"), ...errorResponses(400, 401, 403, 404, 413, 415, 422, 429) },
});

const removeMemberRoute = createRoute({
  method: "delete",
  path: "/v1/orgs/{org_id}/members/{user_id}",
  middleware: traits({ access: "org", orgFromPath: true, role: "admin" }),
  operationId: "removeMember",
  tags,
  summary: "Remove a member and revoke their API keys of this org (admin; only owners remove owners; the last owner stays)",
  request: { params: MemberParams },
  responses: { 204: { description: "Removed" }, ...errorResponses(400, 401, 403, 404, 422, 429) },
});

export const orgMembersRouter = createRouter()
  .openapi(listMembersRoute, async (c) => c.json({ data: await listMembers(c.var.db, c.var.principal.orgId) }, 200))
  .openapi(getMemberRoute, async (c) => c.json(await getMember(c.var.db, c.var.principal.orgId, c.req.valid("param").user_id), 200))
  .openapi(addMemberRoute, async (c) => {
    const { orgId, role } = c.var.principal;
    return c.json(await addMember(c.var.db, role, orgId, c.req.valid("json")), 201);
  })
  .openapi(updateMemberRoute, async (c) => {
    const { orgId, role } = c.var.principal;
    return c.json(await updateMember(c.var.db, role, orgId, c.req.valid("param").user_id, c.req.valid("json").role), 200);
  })
  .openapi(removeMemberRoute, async (c) => {
    const { orgId, role } = c.var.principal;
    await removeMember(c.var.db, role, orgId, c.req.valid("param").user_id);
    return c.body(null, 204);
  });
