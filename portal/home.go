package portal

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms/access"
)

// home sends each user to the page made for their role.
func (s *Server) home(c echo.Context) error {
	p, _ := principal(c)
	switch {
	case p.Operator():
		return c.Redirect(http.StatusSeeOther, "/operator/tenants")
	case p.TenantID != nil && p.Role != access.Agent:
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/tenants/%d", *p.TenantID))
	default:
		return c.Redirect(http.StatusSeeOther, "/account")
	}
}
