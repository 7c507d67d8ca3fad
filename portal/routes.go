package portal

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// routes registers every route. Pages and API share the authentication and
// CSRF middleware; the API routes are registered through s.api so that each
// one is documented in the OpenAPI document by construction.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	s.baseMiddleware(e)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metricsHandler)
	e.GET("/static/:hash/:name", s.staticHandler)
	e.GET("/media/prompts/:file", s.mediaPrompt)
	e.GET("/media/messages/:file", s.mediaMessage)

	web := e.Group("", s.authenticate, checkCSRF)
	web.GET("/login", s.loginPage)
	web.POST("/login", s.login)
	web.GET("/first-login/:token", s.firstLoginPage)
	web.POST("/first-login/:token", s.firstLogin)
	web.POST("/logout", s.logout)
	web.GET("/api/docs", s.apiDocsPage)

	in := web.Group("", requireLogin)
	in.GET("/", s.home)
	in.GET("/account", s.accountPage)
	in.POST("/account/tokens", s.accountCreateToken)
	in.POST("/account/tokens/:id/delete", s.accountDeleteToken)

	apiGroup := e.Group("/api/v1", s.authenticate, checkCSRF)
	apiGroup.GET("/openapi.json", s.openAPIHandler)
	api := &apiRouter{s: s, g: apiGroup.Group("", requireLogin)}
	api.handle(http.MethodGet, "/me", s.apiMe, apiOp{Summary: "The authenticated user", Tag: "account", Out: meView{}})
	api.handle(http.MethodGet, "/tokens", s.apiListTokens, apiOp{Summary: "List my API tokens", Tag: "account", Out: []tokenView{}})
	api.handle(http.MethodPost, "/tokens", s.apiCreateToken, apiOp{Summary: "Create an API token (its value is shown once)", Tag: "account", In: tokenInput{}, Out: newTokenView{}, Status: http.StatusCreated})
	api.handle(http.MethodDelete, "/tokens/:id", s.apiDeleteToken, apiOp{Summary: "Revoke one of my API tokens", Tag: "account", Status: http.StatusNoContent})

	s.registerResources(api, in)
	s.registerDeskEmails(api, in)
	return e
}

// apiRouter registers API routes and records their documentation.
type apiRouter struct {
	s *Server
	g *echo.Group
}

// handle registers one API route; o documents it in the OpenAPI document.
func (r *apiRouter) handle(method, path string, h echo.HandlerFunc, o apiOp, mw ...echo.MiddlewareFunc) {
	o.Method, o.Path = method, "/api/v1"+path
	r.s.apiOps = append(r.s.apiOps, o)
	r.g.Add(method, path, h, mw...)
}
