package portal

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
)

// apiError is the one error shape of the JSON API.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// statusOf maps a vms error code to an HTTP status: the one place where
// this mapping lives.
func statusOf(code string) int {
	switch code {
	case vms.EINVALID:
		return http.StatusUnprocessableEntity
	case vms.ENOTFOUND:
		return http.StatusNotFound
	case vms.EFORBIDDEN:
		return http.StatusForbidden
	case vms.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case vms.ECONFLICT:
		return http.StatusConflict
	case vms.ERATELIMIT:
		return http.StatusTooManyRequests
	case vms.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// codeOfStatus maps the HTTP errors Echo raises itself (404 route, 405,
// 413 body too large, bad JSON) to our codes.
func codeOfStatus(status int) string {
	switch status {
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return vms.ENOTFOUND
	case http.StatusUnauthorized:
		return vms.EUNAUTHORIZED
	case http.StatusForbidden:
		return vms.EFORBIDDEN
	case http.StatusTooManyRequests:
		return vms.ERATELIMIT
	case http.StatusServiceUnavailable:
		return vms.EUNAVAILABLE
	case http.StatusInternalServerError:
		return vms.EINTERNAL
	default:
		return vms.EINVALID
	}
}

func isAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	return strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/readyz" || p == "/metrics"
}

// handleError is Echo's central error handler: it logs internal errors once,
// with the request id, and answers JSON for the API and a page otherwise.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var (
		code, msg, field string
		status           int
		he               *echo.HTTPError
	)
	switch {
	case errors.As(err, new(*vms.Error)):
		code, msg, field = vms.ErrorCode(err), vms.ErrorMessage(err), vms.ErrorField(err)
		status = statusOf(code)
	case errors.As(err, &he):
		status = he.Code
		code = codeOfStatus(status)
		msg = http.StatusText(status)
		if m, ok := he.Message.(string); ok && status < 500 {
			msg = m
		}
		if status == http.StatusMethodNotAllowed {
			status = http.StatusNotFound
			msg = "not found"
		}
	default:
		code, msg, status = vms.EINTERNAL, "internal error", http.StatusInternalServerError
	}
	if status >= 500 {
		s.log.ErrorContext(c.Request().Context(), "request failed",
			errAttr(err), reqAttr(c))
	}
	if status == http.StatusUnauthorized && !isAPI(c) {
		_ = c.Redirect(http.StatusSeeOther, loginURL(c))
		return
	}
	if isAPI(c) || c.Request().Method == http.MethodHead {
		_ = c.JSON(status, apiError{Error: apiErrorBody{Code: code, Message: msg, Field: field}})
		return
	}
	_ = s.render(c, status, "error.html", map[string]any{
		"Title": http.StatusText(status), "Status": status, "Message": msg,
	})
}
