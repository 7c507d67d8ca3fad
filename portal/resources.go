package portal

import "github.com/labstack/echo/v4"

// registerResources registers the pages and API routes of the domain
// resources (tenants, numbers, users, ...), one file per resource.
func (s *Server) registerResources(api *apiRouter, web *echo.Group) {
}
