package portal

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/mail"
	"github.com/vmsplatform/vms/store"
)

// terminationNotice is the default notice of a termination (PRV-2).
const terminationNotice = 30 * 24 * time.Hour

// orderInput enters an order or order change (PRV-1, FRM-3): operator only.
type orderInput struct {
	Kind    string   `json:"kind" doc:"new, change or termination"`
	Formula string   `json:"formula,omitempty" doc:"the formula after activation (new and change)"`
	Options []string `json:"options,omitempty" doc:"the ordered options after activation (new and change)"`
	EndsOn  string   `json:"ends_on,omitempty" doc:"termination: the day the service stops (at 00:00 in the customer's time zone), YYYY-MM-DD; 30 days from now when empty"`
}

type orderView struct {
	ID          uint       `json:"id"`
	TenantID    uint       `json:"tenant_id"`
	Kind        string     `json:"kind"`
	Formula     string     `json:"formula"`
	Options     []string   `json:"options"`
	Status      string     `json:"status" doc:"entered, activated or cancelled"`
	DueAt       time.Time  `json:"due_at" doc:"activation target (15 working days after entry), or the end of service for a termination"`
	EnteredByID uint       `json:"entered_by_id"`
	ActivatedAt *time.Time `json:"activated_at"`
	CreatedAt   time.Time  `json:"created_at"`
}

// activationView answers an activation. The order is activated even when
// the e-mail could not be sent; MailSent says so and the link can be
// re-sent with POST /tenants/{tid}/users/{id}/login-link.
type activationView struct {
	Order        orderView `json:"order"`
	ContactEmail string    `json:"contact_email,omitempty"`
	ContactID    uint      `json:"contact_user_id,omitempty"`
	MailSent     bool      `json:"mail_sent"`
	MailError    string    `json:"mail_error,omitempty"`
}

func viewOrder(o *store.Order) orderView {
	return orderView{ID: o.ID, TenantID: o.TenantID, Kind: o.Kind, Formula: o.Formula, Options: splitOptions(o.Options),
		Status: o.Status, DueAt: o.DueAt, EnteredByID: o.EnteredByID, ActivatedAt: o.ActivatedAt, CreatedAt: o.CreatedAt}
}

func splitOptions(s string) []string {
	out := []string{}
	for o := range strings.SplitSeq(s, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

func (s *Server) registerOrders(api *apiRouter, web *echo.Group) {
	api.handle(http.MethodGet, "/tenants/:tid/orders", s.apiListOrders, apiOp{Summary: "A customer's orders and order changes", Tag: "orders", Out: []orderView{}})
	api.handle(http.MethodPost, "/tenants/:tid/orders", s.apiCreateOrder, apiOp{Summary: "Enter an order, order change or termination (operator; FRM-3, PRV-2)", Tag: "orders", In: orderInput{}, Out: orderView{}, Status: http.StatusCreated})
	api.handle(http.MethodPost, "/tenants/:tid/orders/:id/activate", s.apiActivateOrder, apiOp{Summary: "Activate an order and e-mail the contact person a first-login link (operator; PRV-1)", Tag: "orders", Out: activationView{}})

	web.POST("/tenants/:tid/orders", s.ordersCreate)
	web.POST("/tenants/:tid/orders/:id/activate", s.ordersActivate)
}

// operatorTenant loads the tenant of the path for a change only operator
// staff may make.
func (s *Server) operatorTenant(c echo.Context) (*store.Tenant, error) {
	t, p, err := s.tenantAccess(c, true)
	if err != nil {
		return nil, err
	}
	if err := p.CanOperate(); err != nil {
		return nil, err
	}
	return t, nil
}

// createOrder enters an order for t. A formula or option change takes
// effect only at activation (FRM-3); a termination ends the service on a
// date with 30 days' notice by default (PRV-2).
func (s *Server) createOrder(c echo.Context, t *store.Tenant, in orderInput) (*store.Order, error) {
	p, _ := principal(c)
	if err := p.CanOperate(); err != nil {
		return nil, err
	}
	now := s.now()
	o := &store.Order{TenantID: t.ID, Kind: strings.TrimSpace(in.Kind), Status: store.OrderEntered, EnteredByID: p.UserID}
	if t.Status == store.TenantTerminated {
		return nil, vms.Errorf(vms.ECONFLICT, "this customer's service has ended")
	}
	switch o.Kind {
	case store.OrderNew, store.OrderChange:
		if o.Kind == store.OrderNew && t.Status != store.TenantOrdered {
			return nil, vms.FieldError("kind", "the customer is already active: enter a change or a termination")
		}
		if o.Kind == store.OrderChange && t.Status != store.TenantActive {
			return nil, vms.FieldError("kind", "the customer is not active yet: activate its new order first")
		}
		if in.EndsOn != "" {
			return nil, vms.FieldError("ends_on", "is only for a termination")
		}
		fm, opts, err := parseFormula(in.Formula, in.Options)
		if err != nil {
			return nil, err
		}
		o.Formula, o.Options = string(fm), opts
		o.DueAt = addWorkingDays(now, 15)
	case store.OrderTermination:
		if in.Formula != "" || len(in.Options) > 0 {
			return nil, vms.FieldError("formula", "a termination takes no formula or options")
		}
		o.Formula, o.Options = t.Formula, t.Options
		end := now.Add(terminationNotice)
		if in.EndsOn != "" {
			loc, err := time.LoadLocation(t.TimeZone)
			if err != nil {
				loc = time.UTC
			}
			d, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(in.EndsOn), loc)
			if err != nil {
				return nil, vms.FieldError("ends_on", "must be a date like 2026-12-31")
			}
			if !d.After(now) {
				return nil, vms.FieldError("ends_on", "must be in the future")
			}
			end = d
		}
		o.DueAt = end
	case "":
		return nil, vms.FieldError("kind", "is required (new, change or termination)")
	default:
		return nil, vms.FieldError("kind", "%q is not an order kind (new, change or termination)", o.Kind)
	}
	if err := s.store.CreateOrder(c.Request().Context(), actor(c), o); err != nil {
		return nil, err
	}
	return o, nil
}

// activation is the outcome of activateOrder.
type activation struct {
	Order   *store.Order
	Contact *store.User
	MailErr error
}

// activateOrder applies an entered order (PRV-1). For a new order the
// tenant's contact person gets an admin account (created from the contact
// representative when it does not exist yet, with no password) and an
// e-mail with the portal address and a one-time first-login link. The
// activation stands even when the e-mail fails: MailErr says so.
func (s *Server) activateOrder(c echo.Context, t *store.Tenant, orderID uint) (*activation, error) {
	p, _ := principal(c)
	if err := p.CanOperate(); err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	o, err := s.store.GetOrder(ctx, t.ID, orderID)
	if err != nil {
		return nil, err
	}
	if o.Status != store.OrderEntered {
		return nil, vms.Errorf(vms.ECONFLICT, "order %d is %s, not entered", o.ID, o.Status)
	}
	if o.Kind != store.OrderNew {
		err = s.store.Tx(ctx, func(tx *store.Store) error {
			if o, err = tx.ActivateOrder(ctx, actor(c), t.ID, o.ID, nil); err != nil {
				return err
			}
			if o.Kind != store.OrderTermination {
				return nil
			}
			// PRV-2: record the end date the order carries.
			nt, err := tx.GetTenant(ctx, t.ID)
			if err != nil {
				return err
			}
			end := o.DueAt
			nt.TerminatesAt = &end
			return tx.UpdateTenant(ctx, actor(c), nt)
		})
		if err != nil {
			return nil, err
		}
		return &activation{Order: o}, nil
	}
	contact, err := s.contactUser(ctx, t)
	if err != nil {
		return nil, err
	}
	var (
		url  string
		link *store.LoginLink
	)
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		if contact.ID == 0 {
			if err := tx.CreateUser(ctx, actor(c), contact); err != nil {
				return err
			}
		}
		link, url, err = s.newLoginLink(contact)
		if err != nil {
			return err
		}
		o, err = tx.ActivateOrder(ctx, actor(c), t.ID, o.ID, link)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &activation{Order: o, Contact: contact, MailErr: s.sendActivationMail(ctx, t, contact, url)}, nil
}

// contactUser returns the tenant's user for its contact representative,
// or an unsaved admin user made from it (empty password hash: the
// first-login link sets the password).
func (s *Server) contactUser(ctx context.Context, t *store.Tenant) (*store.User, error) {
	reps, err := s.store.ListRepresentatives(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	var rep *store.Representative
	for i := range reps {
		if reps[i].Contact {
			rep = &reps[i]
			break
		}
	}
	if rep == nil {
		return nil, vms.FieldError("contact", "the customer has no contact person: add a representative marked as contact first")
	}
	u, err := s.store.UserByEmail(ctx, strings.ToLower(rep.Email))
	switch {
	case err == nil && u.TenantID != nil && *u.TenantID == t.ID:
		return u, nil
	case err == nil:
		return nil, vms.FieldError("contact", "the contact person's e-mail address is already used by another account")
	case vms.ErrorCode(err) != vms.ENOTFOUND:
		return nil, err
	}
	tid := t.ID
	return &store.User{TenantID: &tid, Email: strings.ToLower(rep.Email), Name: rep.Name, Role: string(access.Admin)}, nil
}

// sendActivationMail e-mails the portal address and the first-login link;
// never a password (PRV-1).
func (s *Server) sendActivationMail(ctx context.Context, t *store.Tenant, u *store.User, url string) error {
	return s.sendMail(ctx, mail.Message{
		To:      []string{u.Email},
		Subject: "Your VMS service is active",
		Text: fmt.Sprintf("Hello %s,\n\nThe VMS service of %s is now active.\n\nThe portal is at %s\n\n"+
			"Choose your password with this one-time link (valid for %s):\n%s\n\n"+
			"If the link has expired, ask your administrator or the operator for a new one.\n",
			u.Name, t.Name, s.cfg.BaseURL, linkValidity(s.cfg.LoginLinkTTL), url),
	})
}

// sendMail sends m, or reports that no mailer is configured.
func (s *Server) sendMail(ctx context.Context, m mail.Message) error {
	if s.mailer == nil {
		return vms.Errorf(vms.EUNAVAILABLE, "no mail relay is configured")
	}
	if err := s.mailer.Send(ctx, m); err != nil {
		s.log.WarnContext(ctx, "mail not sent", errAttr(err))
		return vms.Errorf(vms.EUNAVAILABLE, "the e-mail could not be sent")
	}
	return nil
}

func linkValidity(d time.Duration) string {
	if d >= 48*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}

func (s *Server) apiListOrders(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	os, err := s.store.ListOrders(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	out := make([]orderView, 0, len(os))
	for i := range os {
		out = append(out, viewOrder(&os[i]))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiCreateOrder(c echo.Context) error {
	t, err := s.operatorTenant(c)
	if err != nil {
		return err
	}
	var in orderInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	o, err := s.createOrder(c, t, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, viewOrder(o))
}

func (s *Server) apiActivateOrder(c echo.Context) error {
	t, err := s.operatorTenant(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	a, err := s.activateOrder(c, t, id)
	if err != nil {
		return err
	}
	v := activationView{Order: viewOrder(a.Order)}
	if a.Contact != nil {
		v.ContactEmail, v.ContactID = a.Contact.Email, a.Contact.ID
		v.MailSent = a.MailErr == nil
		if a.MailErr != nil {
			v.MailError = vms.ErrorMessage(a.MailErr)
		}
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) ordersCreate(c echo.Context) error {
	t, err := s.operatorTenant(c)
	if err != nil {
		return err
	}
	form, _ := c.FormParams()
	in := orderInput{Kind: c.FormValue("kind"), Formula: c.FormValue("formula"), Options: form["options"], EndsOn: c.FormValue("ends_on")}
	if in.Kind == store.OrderTermination {
		in.Formula, in.Options = "", nil
	}
	_, err = s.createOrder(c, t, in)
	if showOnForm(err) {
		data := pageData("")
		return s.renderTenant(c, formFailed(data, "order", in, err), data)
	} else if err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d", t.ID), "order-created")
}

func (s *Server) ordersActivate(c echo.Context) error {
	t, err := s.operatorTenant(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	a, err := s.activateOrder(c, t, id)
	if showOnForm(err) {
		data := pageData("")
		return s.renderTenant(c, formFailed(data, "activate", nil, err), data)
	} else if err != nil {
		return err
	}
	flash := "order-activated"
	if a.Contact == nil {
		flash = "order-applied"
	} else if a.MailErr != nil {
		flash = "order-mailfail"
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d", t.ID), flash)
}
