package portal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/formula"
	"github.com/vmsplatform/vms/store"
)

// idParam parses a numeric path parameter. Anything that is not an id is
// "not found", like an id that does not exist.
func idParam(c echo.Context, name string) (uint, error) {
	v, err := strconv.ParseUint(c.Param(name), 10, 32)
	if err != nil || v == 0 {
		return 0, vms.Errorf(vms.ENOTFOUND, "not found")
	}
	return uint(v), nil
}

// bindJSON decodes a JSON request body strictly: unknown fields, trailing
// data and wrong types are refused with the field named.
func bindJSON(c echo.Context, v any) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if ct != "" && !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return vms.Errorf(vms.EINVALID, "send the body as application/json")
	}
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return vms.Errorf(vms.EINVALID, "the body must hold exactly one JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return vms.FieldError(te.Field, "must be of type %s", jsonKind(te.Type.Kind().String()))
	case errors.As(err, &se):
		return vms.Errorf(vms.EINVALID, "the body is not valid JSON (at byte %d)", se.Offset)
	case errors.Is(err, io.EOF):
		return vms.Errorf(vms.EINVALID, "the body is empty; send a JSON object")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return vms.FieldError(f, "is not a known field")
	}
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
		return vms.Errorf(vms.EINVALID, "the body is too large")
	}
	if strings.Contains(err.Error(), "request body too large") {
		return vms.Errorf(vms.EINVALID, "the body is too large")
	}
	return vms.Errorf(vms.EINVALID, "the body could not be read as JSON")
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "integer"
	case strings.HasPrefix(k, "float"):
		return "number"
	case k == "bool":
		return "boolean"
	case k == "slice":
		return "array"
	case k == "struct", k == "map":
		return "object"
	}
	return k
}

// tenantAccess loads the tenant of the :tid path parameter after checking
// that the caller may read it (or write it, when write is set). Another
// tenant's id is "not found", never its data (POR-2).
func (s *Server) tenantAccess(c echo.Context, write bool) (*store.Tenant, access.Principal, error) {
	p, _ := principal(c)
	tid, err := idParam(c, "tid")
	if err != nil {
		return nil, p, err
	}
	if write {
		err = p.CanWrite(tid)
	} else {
		err = p.CanRead(tid)
	}
	if err != nil {
		return nil, p, err
	}
	t, err := s.store.GetTenant(c.Request().Context(), tid)
	if err != nil {
		return nil, p, err
	}
	return t, p, nil
}

// tenantComponent checks that tenant t's formula and options include one
// of comps (FRM-2); the error names the first.
func tenantComponent(t *store.Tenant, comps ...formula.Component) error {
	opts, err := formula.ParseOptions(t.Options)
	if err != nil {
		return fmt.Errorf("portal: tenant %d options: %w", t.ID, err)
	}
	var first error
	for _, comp := range comps {
		err := formula.Check(formula.Formula(t.Formula), opts, comp)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// contactCentre are the components that give a tenant agents and groups:
// Agent Contact Management, and Outbound campaigns, whose "connect to an
// operator" key puts the called person in an agent group's queue.
var contactCentre = []formula.Component{formula.ACM, formula.Campaigns}

// requireAnyComponent is requireComponent for features that come with any
// of comps.
func (s *Server) requireAnyComponent(comps ...formula.Component) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			t, _, err := s.tenantAccess(c, false)
			if err != nil {
				return err
			}
			if err := tenantComponent(t, comps...); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// requireComponent refuses requests for a tenant whose formula and options
// do not include comp (FRM-2), with a 403 naming the missing component.
// It runs after authentication and checks read access to :tid first, so a
// foreign tenant stays invisible.
func (s *Server) requireComponent(comp formula.Component) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			t, _, err := s.tenantAccess(c, false)
			if err != nil {
				return err
			}
			opts, err := formula.ParseOptions(t.Options)
			if err != nil {
				return fmt.Errorf("portal: tenant %d options: %w", t.ID, err)
			}
			if err := formula.Check(formula.Formula(t.Formula), opts, comp); err != nil {
				return err
			}
			return next(c)
		}
	}
}
