package portal

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

// authzKind says who may call a route.
type authzKind int

const (
	public   authzKind = iota // anyone, logged in or not
	self                      // any logged-in user, on their own data
	filtered                  // any logged-in user; answers only what they may see
	tenant                    // users of the tenant in :tid (and operator staff)
	operator                  // operator staff only
)

// authzCase is the authorisation expectation of one route.
type authzCase struct {
	kind authzKind
	// obj names the fixture the :id parameter refers to: number, user,
	// entity, rep, order, token (an API token of A's admin) or opuser.
	obj string
	// body is a valid request body for a write: JSON for the API, form
	// values for pages. A missing check would then really change data,
	// which the before/after comparison catches.
	body any
	// formula, when set, is the formula tenants A and B have during the
	// case (routes gated on a component of another formula).
	formula string
}

// authzCases holds one case per registered route, keyed "METHOD PATH".
// A route missing here fails TestAuthorizationWalk.
var authzCases = map[string]authzCase{
	"GET /healthz":                    {kind: public},
	"GET /readyz":                     {kind: public},
	"GET /metrics":                    {kind: public},
	"GET /static/:hash/:name":         {kind: public},
	"GET /login":                      {kind: public},
	"POST /login":                     {kind: public},
	"GET /first-login/:token":         {kind: public},
	"POST /first-login/:token":        {kind: public},
	"POST /logout":                    {kind: public},
	"GET /api/docs":                   {kind: public},
	"GET /api/v1/openapi.json":        {kind: public},
	"GET /":                           {kind: self},
	"GET /account":                    {kind: self},
	"POST /account/tokens":            {kind: self, body: url.Values{"name": {"x"}}},
	"POST /account/tokens/:id/delete": {kind: self, obj: "token"},
	"GET /api/v1/me":                  {kind: self},
	"GET /api/v1/tokens":              {kind: self},
	"POST /api/v1/tokens":             {kind: self, body: map[string]any{"name": "x"}},
	"DELETE /api/v1/tokens/:id":       {kind: self, obj: "token"},

	"GET /api/v1/tenants":        {kind: filtered},
	"POST /api/v1/tenants":       {kind: operator, body: map[string]any{"name": "Intruder", "formula": "Classic"}},
	"GET /api/v1/tenants/:tid":   {kind: tenant},
	"PATCH /api/v1/tenants/:tid": {kind: tenant, body: map[string]any{"name": "Renamed"}},
	"GET /operator/tenants":      {kind: operator},
	"POST /operator/tenants":     {kind: operator, body: url.Values{"name": {"Intruder"}, "formula": {"Classic"}}},
	"GET /tenants/:tid":          {kind: tenant},
	"POST /tenants/:tid":         {kind: tenant, body: url.Values{"name": {"Renamed"}, "time_zone": {"Europe/Paris"}, "region": {"FR"}}},

	"GET /api/v1/tenants/:tid/orders":               {kind: tenant},
	"POST /api/v1/tenants/:tid/orders":              {kind: tenant, body: map[string]any{"kind": "termination"}},
	"POST /api/v1/tenants/:tid/orders/:id/activate": {kind: tenant, obj: "order"},
	"POST /tenants/:tid/orders":                     {kind: tenant, body: url.Values{"kind": {"termination"}}},
	"POST /tenants/:tid/orders/:id/activate":        {kind: tenant, obj: "order"},

	"GET /api/v1/tenants/:tid/entities":        {kind: tenant},
	"POST /api/v1/tenants/:tid/entities":       {kind: tenant, body: map[string]any{"name": "Intruder entity"}},
	"DELETE /api/v1/tenants/:tid/entities/:id": {kind: tenant, obj: "entity"},
	"POST /tenants/:tid/entities":              {kind: tenant, body: url.Values{"name": {"Intruder entity"}}},
	"POST /tenants/:tid/entities/:id/delete":   {kind: tenant, obj: "entity"},

	"GET /api/v1/tenants/:tid/representatives":        {kind: tenant},
	"POST /api/v1/tenants/:tid/representatives":       {kind: tenant, body: map[string]any{"name": "Eve", "email": "eve@evil.example"}},
	"DELETE /api/v1/tenants/:tid/representatives/:id": {kind: tenant, obj: "rep"},
	"POST /tenants/:tid/representatives":              {kind: tenant, body: url.Values{"name": {"Eve"}, "email": {"eve@evil.example"}}},
	"POST /tenants/:tid/representatives/:id/delete":   {kind: tenant, obj: "rep"},

	"GET /api/v1/tenants/:tid/numbers":               {kind: tenant},
	"POST /api/v1/tenants/:tid/numbers":              {kind: tenant, body: map[string]any{"number": "02 211 99 99"}},
	"GET /api/v1/tenants/:tid/numbers/:id":           {kind: tenant, obj: "number"},
	"PATCH /api/v1/tenants/:tid/numbers/:id":         {kind: tenant, obj: "number", body: map[string]any{"label": "hijacked"}},
	"DELETE /api/v1/tenants/:tid/numbers/:id":        {kind: tenant, obj: "number"},
	"POST /api/v1/tenants/:tid/numbers/:id/port-out": {kind: tenant, obj: "number"},
	"GET /tenants/:tid/numbers":                      {kind: tenant},
	"POST /tenants/:tid/numbers":                     {kind: tenant, body: url.Values{"number": {"02 211 99 99"}}},
	"GET /tenants/:tid/numbers/:id":                  {kind: tenant, obj: "number"},
	"POST /tenants/:tid/numbers/:id":                 {kind: tenant, obj: "number", body: url.Values{"label": {"hijacked"}, "status": {"active"}}},
	"POST /tenants/:tid/numbers/:id/delete":          {kind: tenant, obj: "number"},
	"POST /tenants/:tid/numbers/:id/port-out":        {kind: tenant, obj: "number"},

	"GET /api/v1/tenants/:tid/users":                 {kind: tenant},
	"POST /api/v1/tenants/:tid/users":                {kind: tenant, body: map[string]any{"email": "mole@evil.example", "name": "Mole", "role": "admin"}},
	"GET /api/v1/tenants/:tid/users/:id":             {kind: tenant, obj: "user"},
	"PATCH /api/v1/tenants/:tid/users/:id":           {kind: tenant, obj: "user", body: map[string]any{"role": "admin"}},
	"DELETE /api/v1/tenants/:tid/users/:id":          {kind: tenant, obj: "user"},
	"POST /api/v1/tenants/:tid/users/:id/login-link": {kind: tenant, obj: "user"},
	"GET /tenants/:tid/users":                        {kind: tenant},
	"POST /tenants/:tid/users":                       {kind: tenant, body: url.Values{"email": {"mole@evil.example"}, "name": {"Mole"}, "role": {"admin"}}},
	"POST /tenants/:tid/users/:id":                   {kind: tenant, obj: "user", body: url.Values{"role": {"admin"}}},
	"POST /tenants/:tid/users/:id/delete":            {kind: tenant, obj: "user"},
	"POST /tenants/:tid/users/:id/login-link":        {kind: tenant, obj: "user"},

	"GET /api/v1/operator/users":                 {kind: operator},
	"POST /api/v1/operator/users":                {kind: operator, body: map[string]any{"email": "mole@evil.example", "name": "Mole", "role": "BGC-ADMIN"}},
	"PATCH /api/v1/operator/users/:id":           {kind: operator, obj: "opuser", body: map[string]any{"role": "BGC-ADMIN"}},
	"DELETE /api/v1/operator/users/:id":          {kind: operator, obj: "opuser"},
	"POST /api/v1/operator/users/:id/login-link": {kind: operator, obj: "opuser"},
	"GET /operator/users":                        {kind: operator},
	"POST /operator/users":                       {kind: operator, body: url.Values{"email": {"mole@evil.example"}, "name": {"Mole"}, "role": {"BGC-ADMIN"}}},
	"POST /operator/users/:id":                   {kind: operator, obj: "opuser", body: url.Values{"role": {"BGC-ADMIN"}}},
	"POST /operator/users/:id/delete":            {kind: operator, obj: "opuser"},
	"POST /operator/users/:id/login-link":        {kind: operator, obj: "opuser"},

	// Routing (TRM); fixtures from routing_fixtures_test.go.
	"GET /media/prompts/:file":                                      {kind: public},
	"GET /api/v1/tenants/:tid/trees":                                {kind: tenant},
	"POST /api/v1/tenants/:tid/trees":                               {kind: tenant, body: map[string]any{"key": "intruder"}},
	"GET /api/v1/tenants/:tid/trees/:id":                            {kind: tenant, obj: "tree"},
	"PUT /api/v1/tenants/:tid/trees/:id":                            {kind: tenant, obj: "tree", body: map[string]any{"document": json.RawMessage(fixtureTreeDoc)}},
	"DELETE /api/v1/tenants/:tid/trees/:id":                         {kind: tenant, obj: "tree"},
	"GET /api/v1/tenants/:tid/trees/:id/versions":                   {kind: tenant, obj: "tree"},
	"GET /api/v1/tenants/:tid/trees/:id/versions/:version":          {kind: tenant, obj: "tree"},
	"POST /api/v1/tenants/:tid/trees/:id/versions/:version/restore": {kind: tenant, obj: "tree"},
	"GET /api/v1/tenants/:tid/numbers/:id/routing":                  {kind: tenant, obj: "number"},
	"PUT /api/v1/tenants/:tid/numbers/:id/routing":                  {kind: tenant, obj: "number", body: map[string]any{"max_cps": 1}},
	"POST /api/v1/tenants/:tid/simulate":                            {kind: tenant, body: map[string]any{"from": "+32475000001", "to": "+3222110001"}},
	"GET /tenants/:tid/routing":                                     {kind: tenant},
	"POST /tenants/:tid/trees":                                      {kind: tenant, body: url.Values{"key": {"intruder"}}},
	"GET /tenants/:tid/trees/:id":                                   {kind: tenant, obj: "tree"},
	"POST /tenants/:tid/trees/:id":                                  {kind: tenant, obj: "tree", body: url.Values{"document": {fixtureTreeDoc}}},
	"GET /tenants/:tid/trees/:id/export":                            {kind: tenant, obj: "tree"},
	"POST /tenants/:tid/trees/:id/delete":                           {kind: tenant, obj: "tree"},
	"POST /tenants/:tid/trees/:id/versions/:version/restore":        {kind: tenant, obj: "tree"},
	"POST /tenants/:tid/numbers/:id/routing":                        {kind: tenant, obj: "number", body: url.Values{"max_cps": {"1"}}},
	"GET /tenants/:tid/simulate":                                    {kind: tenant},
	"GET /api/v1/tenants/:tid/prompts":                              {kind: tenant},
	"POST /api/v1/tenants/:tid/prompts":                             {kind: tenant, body: map[string]any{"name": "intruder", "data": testWAV(8000, 100)}},
	"DELETE /api/v1/tenants/:tid/prompts/:id":                       {kind: tenant, obj: "prompt"},
	"GET /tenants/:tid/prompts":                                     {kind: tenant},
	"POST /tenants/:tid/prompts":                                    {kind: tenant, body: url.Values{"name": {"intruder"}}},
	"POST /tenants/:tid/prompts/:id/delete":                         {kind: tenant, obj: "prompt"},
	"GET /api/v1/tenants/:tid/lists":                                {kind: tenant},
	"POST /api/v1/tenants/:tid/lists":                               {kind: tenant, body: map[string]any{"name": "intruder"}},
	"GET /api/v1/tenants/:tid/lists/:id":                            {kind: tenant, obj: "list"},
	"DELETE /api/v1/tenants/:tid/lists/:id":                         {kind: tenant, obj: "list"},
	"POST /api/v1/tenants/:tid/lists/:id/members":                   {kind: tenant, obj: "list", body: map[string]any{"number": "0475 11 22 44"}},
	"DELETE /api/v1/tenants/:tid/lists/:id/members/:number":         {kind: tenant, obj: "list"},
	"GET /tenants/:tid/lists":                                       {kind: tenant},
	"POST /tenants/:tid/lists":                                      {kind: tenant, body: url.Values{"name": {"intruder"}}},
	"GET /tenants/:tid/lists/:id":                                   {kind: tenant, obj: "list"},
	"POST /tenants/:tid/lists/:id/delete":                           {kind: tenant, obj: "list"},
	"POST /tenants/:tid/lists/:id/members":                          {kind: tenant, obj: "list", body: url.Values{"number": {"0475 11 22 44"}}},
	"POST /tenants/:tid/lists/:id/members/delete":                   {kind: tenant, obj: "list", body: url.Values{"number": {fixtureMember}}},
	"GET /api/v1/tenants/:tid/sites":                                {kind: tenant},
	"POST /api/v1/tenants/:tid/sites":                               {kind: tenant, body: map[string]any{"name": "intruder"}},
	"POST /api/v1/tenants/:tid/sites/:id/down":                      {kind: tenant, obj: "site"},
	"POST /api/v1/tenants/:tid/sites/:id/up":                        {kind: tenant, obj: "site"},
	"DELETE /api/v1/tenants/:tid/sites/:id":                         {kind: tenant, obj: "site"},
	"GET /tenants/:tid/sites":                                       {kind: tenant},
	"POST /tenants/:tid/sites":                                      {kind: tenant, body: url.Values{"name": {"intruder"}}},
	"POST /tenants/:tid/sites/:id/toggle":                           {kind: tenant, obj: "site"},
	"POST /tenants/:tid/sites/:id/delete":                           {kind: tenant, obj: "site"},
	"GET /api/v1/tenants/:tid/calls":                                {kind: tenant},
	"GET /api/v1/tenants/:tid/calls/:id":                            {kind: tenant, obj: "call"},
	"GET /tenants/:tid/calls":                                       {kind: tenant},
	"GET /tenants/:tid/calls.csv":                                   {kind: tenant},
	"GET /tenants/:tid/calls/:id":                                   {kind: tenant, obj: "call"},

	// Agent desktop (the caller's own agent) and supervisor screen (ACM).
	"GET /desk":                           {kind: self},
	"GET /desk/events":                    {kind: self},
	"GET /api/v1/desk":                    {kind: self},
	"POST /api/v1/desk/state":             {kind: self, body: map[string]any{"state": "available"}},
	"POST /api/v1/desk/softphone":         {kind: self},
	"GET /supervisor":                     {kind: self},
	"GET /api/v1/tenants/:tid/supervisor": {kind: tenant},
	"GET /tenants/:tid/supervisor":        {kind: tenant},
	"GET /tenants/:tid/supervisor/events": {kind: tenant},

	// Contact centre configuration (ACM); fixtures from acd_test.go.
	"GET /api/v1/tenants/:tid/groups":                       {kind: tenant},
	"POST /api/v1/tenants/:tid/groups":                      {kind: tenant, body: map[string]any{"key": "intruder"}},
	"GET /api/v1/tenants/:tid/groups/:id":                   {kind: tenant, obj: "group"},
	"PATCH /api/v1/tenants/:tid/groups/:id":                 {kind: tenant, obj: "group", body: map[string]any{"name": "Hijacked"}},
	"DELETE /api/v1/tenants/:tid/groups/:id":                {kind: tenant, obj: "group"},
	"PUT /api/v1/tenants/:tid/groups/:id/members/:agent":    {kind: tenant, obj: "group", body: map[string]any{"level": 1}},
	"DELETE /api/v1/tenants/:tid/groups/:id/members/:agent": {kind: tenant, obj: "group"},
	"GET /api/v1/tenants/:tid/agents":                       {kind: tenant},
	"POST /api/v1/tenants/:tid/agents":                      {kind: tenant, body: map[string]any{"user_id": 1}},
	"GET /api/v1/tenants/:tid/agents/:id":                   {kind: tenant, obj: "agent"},
	"PATCH /api/v1/tenants/:tid/agents/:id":                 {kind: tenant, obj: "agent", body: map[string]any{"name": "Hijacked"}},
	"DELETE /api/v1/tenants/:tid/agents/:id":                {kind: tenant, obj: "agent"},
	"GET /api/v1/tenants/:tid/pause-reasons":                {kind: tenant},
	"POST /api/v1/tenants/:tid/pause-reasons":               {kind: tenant, body: map[string]any{"name": "intruder"}},
	"DELETE /api/v1/tenants/:tid/pause-reasons/:id":         {kind: tenant, obj: "pause"},
	"GET /tenants/:tid/groups":                              {kind: tenant},
	"POST /tenants/:tid/groups":                             {kind: tenant, body: url.Values{"key": {"intruder"}}},
	"GET /tenants/:tid/groups/:id":                          {kind: tenant, obj: "group"},
	"POST /tenants/:tid/groups/:id":                         {kind: tenant, obj: "group", body: url.Values{"key": {"sales"}, "name": {"Hijacked"}, "ring_timeout_seconds": {"15"}}},
	"POST /tenants/:tid/groups/:id/delete":                  {kind: tenant, obj: "group"},
	"POST /tenants/:tid/groups/:id/members":                 {kind: tenant, obj: "group", body: url.Values{"level": {"1"}}},
	"POST /tenants/:tid/groups/:id/members/:agent/delete":   {kind: tenant, obj: "group"},
	"GET /tenants/:tid/agents":                              {kind: tenant},
	"POST /tenants/:tid/agents":                             {kind: tenant, body: url.Values{"user_id": {"1"}}},
	"GET /tenants/:tid/agents/:id":                          {kind: tenant, obj: "agent"},
	"POST /tenants/:tid/agents/:id":                         {kind: tenant, obj: "agent", body: url.Values{"name": {"Hijacked"}, "max_emails": {"1"}}},
	"POST /tenants/:tid/agents/:id/delete":                  {kind: tenant, obj: "agent"},
	"GET /tenants/:tid/pause-reasons":                       {kind: tenant},
	"POST /tenants/:tid/pause-reasons":                      {kind: tenant, body: url.Values{"name": {"intruder"}}},
	"POST /tenants/:tid/pause-reasons/:id/delete":           {kind: tenant, obj: "pause"},

	// E-mail contacts on the agent desktop: the caller's own agent only.
	"GET /api/v1/desk/emails":               {kind: self},
	"GET /api/v1/desk/emails/:id":           {kind: self, obj: "email"},
	"POST /api/v1/desk/emails/:id/reply":    {kind: self, obj: "email", body: map[string]any{"body": "hijacked"}},
	"POST /api/v1/desk/emails/:id/close":    {kind: self, obj: "email"},
	"GET /desk/emails/:id/attachments/:aid": {kind: self, obj: "email"},

	// Outbound campaigns; fixtures from campaigns_test.go.
	"GET /media/messages/:file":                                  {kind: public},
	"GET /api/v1/tenants/:tid/call-lists":                        {kind: tenant, formula: "Outbound"},
	"POST /api/v1/tenants/:tid/call-lists":                       {kind: tenant, formula: "Outbound", body: map[string]any{"name": "intruder", "csv": "0475 11 22 44\n"}},
	"GET /api/v1/tenants/:tid/call-lists/:id":                    {kind: tenant, formula: "Outbound", obj: "calllist"},
	"PUT /api/v1/tenants/:tid/call-lists/:id":                    {kind: tenant, formula: "Outbound", obj: "calllist", body: map[string]any{"csv": "0475 11 22 44\n"}},
	"DELETE /api/v1/tenants/:tid/call-lists/:id":                 {kind: tenant, formula: "Outbound", obj: "calllist"},
	"POST /api/v1/tenants/:tid/call-lists/:id/entries":           {kind: tenant, formula: "Outbound", obj: "calllist", body: map[string]any{"number": "0475 11 22 44"}},
	"DELETE /api/v1/tenants/:tid/call-lists/:id/entries/:number": {kind: tenant, formula: "Outbound", obj: "calllist"},
	"GET /tenants/:tid/call-lists":                               {kind: tenant, formula: "Outbound"},
	"POST /tenants/:tid/call-lists":                              {kind: tenant, formula: "Outbound", body: url.Values{"name": {"intruder"}}},
	"GET /tenants/:tid/call-lists/:id":                           {kind: tenant, formula: "Outbound", obj: "calllist"},
	"POST /tenants/:tid/call-lists/:id/entries":                  {kind: tenant, formula: "Outbound", obj: "calllist", body: url.Values{"number": {"0475 11 22 44"}}},
	"POST /tenants/:tid/call-lists/:id/entries/delete":           {kind: tenant, formula: "Outbound", obj: "calllist", body: url.Values{"number": {fixtureMember}}},
	"POST /tenants/:tid/call-lists/:id/delete":                   {kind: tenant, formula: "Outbound", obj: "calllist"},
	"GET /api/v1/tenants/:tid/messages":                          {kind: tenant, formula: "Outbound"},
	"POST /api/v1/tenants/:tid/messages":                         {kind: tenant, formula: "Outbound", body: map[string]any{"name": "intruder", "data": messageWAV(2000)}},
	"GET /api/v1/tenants/:tid/messages/:id":                      {kind: tenant, formula: "Outbound", obj: "message"},
	"DELETE /api/v1/tenants/:tid/messages/:id":                   {kind: tenant, formula: "Outbound", obj: "message"},
	"GET /tenants/:tid/messages":                                 {kind: tenant, formula: "Outbound"},
	"POST /tenants/:tid/messages":                                {kind: tenant, formula: "Outbound", body: url.Values{"name": {"intruder"}}},
	"GET /tenants/:tid/messages/:id/audio":                       {kind: tenant, formula: "Outbound", obj: "message"},
	"POST /tenants/:tid/messages/:id/delete":                     {kind: tenant, formula: "Outbound", obj: "message"},
	"GET /api/v1/tenants/:tid/campaign-limits":                   {kind: tenant, formula: "Outbound"},
	"PUT /api/v1/tenants/:tid/campaign-limits":                   {kind: tenant, formula: "Outbound", body: map[string]any{"lists": 50, "numbers_per_list": 1000, "scheduled": 5, "running": 2, "min_pace_seconds": 1}},
	"POST /tenants/:tid/campaign-limits":                         {kind: tenant, formula: "Outbound", body: url.Values{"lists": {"50"}, "numbers_per_list": {"1000"}, "scheduled": {"5"}, "running": {"2"}, "min_pace_seconds": {"1"}}},
	"GET /api/v1/tenants/:tid/campaigns":                         {kind: tenant, formula: "Outbound"},
	"POST /api/v1/tenants/:tid/campaigns":                        {kind: tenant, formula: "Outbound", body: map[string]any{"name": "intruder"}},
	"GET /api/v1/tenants/:tid/campaigns/:id":                     {kind: tenant, formula: "Outbound", obj: "campaign"},
	"PUT /api/v1/tenants/:tid/campaigns/:id":                     {kind: tenant, formula: "Outbound", obj: "campaign", body: map[string]any{"name": "hijacked"}},
	"DELETE /api/v1/tenants/:tid/campaigns/:id":                  {kind: tenant, formula: "Outbound", obj: "campaign"},
	"POST /api/v1/tenants/:tid/campaigns/:id/state":              {kind: tenant, formula: "Outbound", obj: "campaign", body: map[string]any{"action": "schedule"}},
	"GET /api/v1/tenants/:tid/campaigns/:id/results":             {kind: tenant, formula: "Outbound", obj: "campaign"},
	"GET /tenants/:tid/campaigns":                                {kind: tenant, formula: "Outbound"},
	"GET /tenants/:tid/campaigns/new":                            {kind: tenant, formula: "Outbound"},
	"POST /tenants/:tid/campaigns":                               {kind: tenant, formula: "Outbound", body: url.Values{"name": {"intruder"}}},
	"GET /tenants/:tid/campaigns/:id":                            {kind: tenant, formula: "Outbound", obj: "campaign"},
	"POST /tenants/:tid/campaigns/:id":                           {kind: tenant, formula: "Outbound", obj: "campaign", body: url.Values{"name": {"hijacked"}}},
	"POST /tenants/:tid/campaigns/:id/state":                     {kind: tenant, formula: "Outbound", obj: "campaign", body: url.Values{"action": {"schedule"}}},
	"POST /tenants/:tid/campaigns/:id/delete":                    {kind: tenant, formula: "Outbound", obj: "campaign"},
	"GET /tenants/:tid/campaigns/:id/results":                    {kind: tenant, formula: "Outbound", obj: "campaign"},
	"GET /tenants/:tid/campaigns/:id/results.csv":                {kind: tenant, formula: "Outbound", obj: "campaign"},

	"GET /api/v1/tenants/:tid/audit": {kind: tenant},
	"GET /api/v1/audit":              {kind: operator},
	"GET /tenants/:tid/audit":        {kind: tenant},
	"GET /operator/audit":            {kind: operator},
}

// routeKeys returns "METHOD PATH" of every route the server registered,
// without Echo's internal not-found routes.
func routeKeys(s *Server) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range s.Routes() {
		if r.Method == echo.RouteNotFound || strings.HasSuffix(r.Path, "/*") {
			continue
		}
		k := r.Method + " " + r.Path
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func isWrite(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// objID returns the id of the fixture obj in f (the operator user for
// opuser).
func (h *harness) objID(f tenantFixture, obj string) uint {
	switch obj {
	case "number":
		return f.Number.ID
	case "user":
		return f.RW.ID
	case "entity":
		return f.Entity.ID
	case "rep":
		return f.Rep.ID
	case "order":
		return f.Order.ID
	case "token":
		return f.Token
	case "opuser":
		return h.OpRW.ID
	case "email":
		return h.emailFixture(f).Email
	case "group", "agent", "pause":
		return h.acdObj(f, obj)
	case "calllist", "message", "campaign":
		return h.campaignObj(f, obj)
	}
	return h.routingObj(f, obj)
}

// path fills in the route's parameters: tenant tid, object of fixture of.
func (h *harness) path(route string, tid uint, of tenantFixture, obj string) string {
	aid := "0"
	if strings.Contains(route, ":aid") {
		aid = fmt.Sprint(h.emailFixture(of).Attachment)
	}
	r := strings.NewReplacer(":tid", fmt.Sprint(tid), ":id", fmt.Sprint(h.objID(of, obj)), ":aid", aid,
		":token", "not-a-real-token", ":hash", "0", ":name", "style.css",
		":version", "1", ":number", fixtureMember, ":agent", fmt.Sprint(h.acdObj(of, "agent")))
	return r.Replace(route)
}

// call makes one request of the walk as u, with the case's body.
func (h *harness) call(u *store.User, method, path string, c authzCase) response {
	if strings.HasPrefix(path, "/api/") {
		var body any
		if isWrite(method) {
			body = c.body
			if body == nil {
				body = map[string]any{}
			}
		}
		return h.api(u, method, path, body)
	}
	var form url.Values
	if v, ok := c.body.(url.Values); ok {
		form = url.Values{}
		for k, vs := range v {
			form[k] = append([]string(nil), vs...)
		}
	}
	return h.page(u, method, path, form)
}

// TestAuthorizationWalk proves POR-2 and POR-5 route by route: every
// registered route (pages and API) has a case; anonymous callers are
// refused; a user of tenant B sees nothing of tenant A, whether through
// A's ids or A's objects under B's path; read-only users, supervisors and
// agents change nothing; and operator-only routes refuse tenant users.
func TestAuthorizationWalk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarness(t, st)
		// A contact centre, and event streams that end at once.
		h.withCenter(func(c *Config) { c.EventStreamMax = time.Millisecond })
		// Contact centre fixtures (and the ACM option) before the walk.
		h.acdObj(h.A, "group")
		h.acdObj(h.B, "group")
		A, B := h.A, h.B
		secretsOfA := []string{A.T.Name, A.Number.E164, A.Admin.Email, A.RW.Email, A.Rep.Email, A.Entity.Name}
		secretsOfB := []string{B.T.Name, B.Number.E164, B.Admin.Email, B.Rep.Email}
		noneOf := func(t *testing.T, who string, r response, secrets []string) {
			t.Helper()
			for _, s := range secrets {
				if strings.Contains(r.Body, s) {
					t.Errorf("%s: the answer (%d) contains %q", who, r.Status, s)
				}
			}
		}
		refused := func(t *testing.T, who string, r response, allowed ...int) {
			t.Helper()
			for _, s := range allowed {
				if r.Status == s {
					return
				}
			}
			t.Errorf("%s: status %d, want one of %v\n%.300s", who, r.Status, allowed, r.Body)
		}
		// state is the data as last seen; unchanged compares the data
		// after a refused call with it (and moves on, so that one leak
		// is reported once).
		var state string
		unchanged := func(t *testing.T, who string) {
			t.Helper()
			after := h.dump()
			if after == state {
				return
			}
			bl, al := strings.Split(state, "\n"), strings.Split(after, "\n")
			for i := range min(len(bl), len(al)) {
				if bl[i] != al[i] {
					t.Errorf("%s changed data:\nbefore: %.600s\nafter:  %.600s", who, bl[i], al[i])
					break
				}
			}
			state = after
		}

		routes := routeKeys(h.srv)
		for k := range authzCases {
			found := false
			for _, r := range routes {
				found = found || r == k
			}
			if !found {
				t.Errorf("authorisation case %q matches no route: remove it", k)
			}
		}
		for _, key := range routes {
			c, ok := authzCases[key]
			if !ok {
				t.Errorf("route %s added without an authorisation case", key)
				continue
			}
			method, route, _ := strings.Cut(key, " ")
			isAPI := strings.HasPrefix(route, "/api/")
			write := isWrite(method)
			t.Run(key, func(t *testing.T) {
				h.useFormula(c.formula)
				state = h.dump()
				if c.kind == public {
					r := h.call(nil, method, h.path(route, A.T.ID, A, c.obj), c)
					if r.Status >= 500 {
						t.Errorf("public route answered %d", r.Status)
					}
					return
				}

				// Anonymous: 401 on the API, to the login page otherwise.
				r := h.call(nil, method, h.path(route, A.T.ID, A, c.obj), c)
				if isAPI {
					refused(t, "anonymous", r, http.StatusUnauthorized)
				} else if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
					t.Errorf("anonymous: status %d location %q, want 303 to /login", r.Status, r.Header.Get("Location"))
				}
				noneOf(t, "anonymous", r, secretsOfA)
				unchanged(t, "anonymous")

				switch c.kind {
				case self, filtered:
					// B's admin on A's own objects (a token of A's admin).
					if c.obj != "" {
						r := h.call(B.Admin, method, h.path(route, B.T.ID, A, c.obj), c)
						refused(t, "B's admin on A's token", r, http.StatusNotFound)
						unchanged(t, "B's admin on A's token")
					}
					if c.kind == filtered {
						r := h.call(B.Admin, method, route, c)
						if r.Status != http.StatusOK {
							t.Errorf("B's admin: status %d", r.Status)
						}
						noneOf(t, "B's admin", r, secretsOfA)
						if r := h.call(h.OpRO, method, route, c); !strings.Contains(r.Body, A.T.Name) || !strings.Contains(r.Body, B.T.Name) {
							t.Errorf("operator staff do not see all tenants: %d %.300s", r.Status, r.Body)
						}
					}
					return

				case operator:
					if !write {
						if r := h.call(h.OpRO, method, h.path(route, A.T.ID, A, c.obj), c); r.Status != http.StatusOK {
							t.Errorf("positive control: BGC-RO: status %d\n%.300s", r.Status, r.Body)
						}
					}
					for _, u := range []*store.User{A.Admin, B.Admin, A.RW} {
						others := secretsOfB
						if *u.TenantID == B.T.ID {
							others = secretsOfA
						}
						r := h.call(u, method, h.path(route, A.T.ID, A, c.obj), c)
						refused(t, u.Email, r, http.StatusForbidden)
						noneOf(t, u.Email, r, append(others, h.OpRW.Email))
						unchanged(t, u.Email)
					}
					if write {
						r := h.call(h.OpRO, method, h.path(route, A.T.ID, A, c.obj), c)
						refused(t, "BGC-RO", r, http.StatusForbidden)
						unchanged(t, "BGC-RO")
					}
					return
				}

				// Tenant routes.
				pathA := h.path(route, A.T.ID, A, c.obj)
				if !write {
					if r := h.call(A.RO, method, pathA, c); r.Status != http.StatusOK {
						t.Errorf("positive control: A's read-only user: status %d\n%.300s", r.Status, r.Body)
					}
				}
				// B's users with A's ids: not found (or forbidden for
				// operator-only actions), and none of A's data.
				for _, u := range []*store.User{B.Admin, B.RW, B.RO} {
					r := h.call(u, method, pathA, c)
					refused(t, "B's "+u.Role+" with A's ids", r, http.StatusNotFound, http.StatusForbidden)
					noneOf(t, "B's "+u.Role+" with A's ids", r, secretsOfA)
					unchanged(t, "B's "+u.Role+" with A's ids")
				}
				// A's object under B's path: not found even for operator
				// staff, who may act on both tenants.
				if c.obj != "" {
					for _, u := range []*store.User{h.Op, B.Admin} {
						r := h.call(u, method, h.path(route, B.T.ID, A, c.obj), c)
						want := []int{http.StatusNotFound}
						if u != h.Op {
							want = append(want, http.StatusForbidden)
						}
						refused(t, u.Email+" with A's object under B's path", r, want...)
						noneOf(t, u.Email+" with A's object under B's path", r, secretsOfA)
						unchanged(t, u.Email+" with A's object under B's path")
					}
				}
				// Agents use only the agent desktop.
				if r := h.call(A.Agent, method, pathA, c); r.Status != http.StatusForbidden {
					t.Errorf("A's agent: status %d, want 403", r.Status)
				}
				// Read-only users and supervisors change nothing.
				if write {
					for _, u := range []*store.User{A.RO, A.Sup} {
						r := h.call(u, method, pathA, c)
						refused(t, "A's "+u.Role, r, http.StatusForbidden)
						unchanged(t, "A's "+u.Role)
					}
				}
			})
		}
	})
}
