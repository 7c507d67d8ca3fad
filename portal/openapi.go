package portal

import (
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// apiOp documents one API route. In and Out are zero values of the request
// and response body types; their JSON schemas are derived by reflection, so
// the document follows the code.
type apiOp struct {
	Method  string
	Path    string
	Summary string
	Tag     string
	In      any
	Out     any
	Status  int // success status; 200 when zero
	// Component names the formula component the route needs (FRM-2), if any.
	Component string
}

var pathParam = regexp.MustCompile(`:([a-zA-Z_]+)`)

// openAPI builds the OpenAPI 3 document of the API.
func (s *Server) openAPI() map[string]any {
	schemas := map[string]any{
		"Error": map[string]any{
			"type": "object",
			"properties": map[string]any{
				"error": map[string]any{
					"type":     "object",
					"required": []string{"code", "message"},
					"properties": map[string]any{
						"code":    map[string]any{"type": "string", "enum": []string{"invalid", "not_found", "forbidden", "unauthorized", "conflict", "rate_limited", "unavailable", "internal"}},
						"message": map[string]any{"type": "string"},
						"field":   map[string]any{"type": "string", "description": "the input field that is wrong, when there is one"},
					},
				},
			},
		},
	}
	gen := &schemaGen{defs: schemas}
	paths := map[string]map[string]any{}
	for _, o := range s.apiOps {
		p := pathParam.ReplaceAllString(o.Path, "{$1}")
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		status := o.Status
		if status == 0 {
			status = http.StatusOK
		}
		errResp := map[string]any{"$ref": "#/components/responses/Error"}
		responses := map[string]any{
			"401": errResp, "403": errResp, "404": errResp, "422": errResp, "500": errResp,
		}
		ok := map[string]any{"description": http.StatusText(status)}
		if o.Out != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": gen.schema(reflect.TypeOf(o.Out))}}
		}
		responses[strconv.Itoa(status)] = ok
		op := map[string]any{
			"summary":     o.Summary,
			"operationId": opID(o.Method, p),
			"tags":        []string{o.Tag},
			"responses":   responses,
		}
		if o.Component != "" {
			op["description"] = "Needs the formula component `" + o.Component + "` (403 otherwise)."
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(o.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if o.In != nil {
			op["requestBody"] = map[string]any{
				"required": true,
				"content":  map[string]any{"application/json": map[string]any{"schema": gen.schema(reflect.TypeOf(o.In))}},
			}
		}
		paths[p][strings.ToLower(o.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "VMS API",
			"version":     "1",
			"description": "Everything the VMS portal does, as JSON. Authenticate with `Authorization: Bearer <API token>` (create tokens on the Account page or with POST /api/v1/tokens), or with the portal session cookie plus the `X-CSRF-Token` header on changes. Errors always have the shape `{\"error\":{\"code\",\"message\",\"field\"}}`.",
		},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": schemas,
			"responses": map[string]any{
				"Error": map[string]any{
					"description": "An error; `field` names the bad input",
					"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}},
				},
			},
			"securitySchemes": map[string]any{
				"token":   map[string]any{"type": "http", "scheme": "bearer"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie},
			},
		},
		"security": []any{map[string]any{"token": []string{}}, map[string]any{"session": []string{}}},
	}
}

func opID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range strings.Split(path, "/") {
		part = strings.Trim(part, "{}")
		if part == "" || part == "api" || part == "v1" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + strings.ReplaceAll(part[1:], "-", ""))
	}
	return b.String()
}

type schemaGen struct {
	mu   sync.Mutex
	defs map[string]any
}

var timeType = reflect.TypeOf(time.Time{})

// schema returns the JSON schema of t; named struct types become
// components referenced by $ref.
func (g *schemaGen) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"}
		}
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return map[string]any{"type": "number"}
	case t.Kind() == reflect.Interface:
		return map[string]any{}
	case t.Kind() == reflect.Struct:
		name := schemaName(t)
		g.mu.Lock()
		_, done := g.defs[name]
		if !done {
			g.defs[name] = map[string]any{} // placeholder against recursion
		}
		g.mu.Unlock()
		if !done {
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func schemaName(t reflect.Type) string {
	n := t.Name()
	n = strings.TrimSuffix(n, "View")
	n = strings.TrimSuffix(n, "Input")
	if strings.HasSuffix(t.Name(), "Input") {
		n += "Input"
	}
	if n == "" {
		return "Object"
	}
	return strings.ToUpper(n[:1]) + n[1:]
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		sc := g.schema(f.Type)
		if d := f.Tag.Get("doc"); d != "" {
			if _, isRef := sc["$ref"]; isRef {
				sc = map[string]any{"allOf": []any{sc}, "description": d}
			} else {
				sc["description"] = d
			}
		}
		props[name] = sc
		if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			required = append(required, name)
		}
	}
	sort.Strings(required)
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func (s *Server) openAPIHandler(c echo.Context) error {
	return c.JSONPretty(http.StatusOK, s.openAPI(), "  ")
}

func (s *Server) apiDocsPage(c echo.Context) error {
	type row struct{ Method, Path, Summary, Tag string }
	var rows []row
	for _, o := range s.apiOps {
		rows = append(rows, row{o.Method, pathParam.ReplaceAllString(o.Path, "{$1}"), o.Summary, o.Tag})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Tag < rows[j].Tag })
	return s.render(c, http.StatusOK, "apidocs.html", map[string]any{"Title": "API", "Ops": rows})
}
