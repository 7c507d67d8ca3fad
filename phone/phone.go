// Package phone owns telephone numbers as VMS keeps them: normalisation of
// what people type to E.164 (NUM-4), the kind of a number (fixed, mobile,
// freephone, ...) and the rules deciding whether the service may be
// activated on a number (NUM-2).
//
// The package is pure: it does no I/O. What the operator knows of a line
// (on its network, CNIP, ...) is handed in by the caller in a Line; the
// numbering plans come from github.com/nyaruka/phonenumbers.
package phone

import (
	"errors"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/vmsplatform/vms"
)

// DefaultRegion is the region assumed for national input when none is given
// (the operator's network is Belgian).
const DefaultRegion = "BE"

// maxInput bounds the length of raw input; no real number written with any
// amount of separators comes near it.
const maxInput = 64

// Kind is the category of a number in its country's numbering plan.
type Kind string

// The kinds of number.
const (
	Fixed         Kind = "fixed"           // geographic
	Mobile        Kind = "mobile"          // mobile
	FixedOrMobile Kind = "fixed-or-mobile" // plans where the two cannot be told apart (e.g. +1)
	Freephone     Kind = "freephone"       // toll-free, national (0800) or international (+800)
	Premium       Kind = "premium"         // premium rate
	SharedCost    Kind = "shared-cost"     // shared cost
	VoIP          Kind = "voip"            // nomadic VoIP
	Personal      Kind = "personal"        // personal numbers
	UAN           Kind = "uan"             // universal access / company numbers
	Voicemail     Kind = "voicemail"       // voicemail access
	Pager         Kind = "pager"           // pagers
	Unknown       Kind = "unknown"         // invalid, or no known pattern
)

// Title returns the kind as a phrase for messages ("a mobile number").
func (k Kind) Title() string {
	switch k {
	case Fixed:
		return "a geographic number"
	case Mobile:
		return "a mobile number"
	case FixedOrMobile:
		return "a number that may be fixed or mobile"
	case Freephone:
		return "a freephone number"
	case Premium:
		return "a premium-rate number"
	case SharedCost:
		return "a shared-cost number"
	case VoIP:
		return "a VoIP number"
	case Personal:
		return "a personal number"
	case UAN:
		return "a universal access number"
	case Voicemail:
		return "a voicemail access number"
	case Pager:
		return "a pager number"
	}
	return "a number of unknown kind"
}

var kinds = map[phonenumbers.PhoneNumberType]Kind{
	phonenumbers.FIXED_LINE:           Fixed,
	phonenumbers.MOBILE:               Mobile,
	phonenumbers.FIXED_LINE_OR_MOBILE: FixedOrMobile,
	phonenumbers.TOLL_FREE:            Freephone,
	phonenumbers.PREMIUM_RATE:         Premium,
	phonenumbers.SHARED_COST:          SharedCost,
	phonenumbers.VOIP:                 VoIP,
	phonenumbers.PERSONAL_NUMBER:      Personal,
	phonenumbers.PAGER:                Pager,
	phonenumbers.UAN:                  UAN,
	phonenumbers.VOICEMAIL:            Voicemail,
}

// Normalize returns input as an E.164 number ("+3221234567"). It accepts
// national format ("02 123 45 67", read in region, DefaultRegion when
// empty), international format ("+32 2 123 45 67", "0032 2 123 45 67") and
// the usual separators: spaces, dots, dashes, slashes and parentheses.
// Anything else is refused with an EINVALID *vms.Error on field "number"
// saying why: empty, not a number, too short, too long, unknown country
// code, or not a valid number for its country. An unknown region code is a
// configuration error, reported on field "region".
func Normalize(input, region string) (string, error) {
	if region == "" {
		region = DefaultRegion
	}
	region = strings.ToUpper(region)
	if phonenumbers.GetCountryCodeForRegion(region) == 0 {
		return "", vms.FieldError("region", "%q is not a known region code", region)
	}
	s := strings.TrimSpace(input)
	if s == "" {
		return "", vms.FieldError("number", "is required")
	}
	if len(s) > maxInput {
		return "", vms.FieldError("number", "is too long to be a phone number")
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == ' ', r == '.', r == '-', r == '/', r == '(', r == ')', r == '\u00a0':
		default:
			return "", vms.FieldError("number", "is not a phone number: unexpected character %q", r)
		}
	}
	if digits == 0 {
		return "", vms.FieldError("number", "is not a phone number: it has no digits")
	}
	pn, err := phonenumbers.Parse(s, region)
	if err != nil {
		return "", parseError(err)
	}
	if err := checkParsed(pn); err != nil {
		return "", err
	}
	out := phonenumbers.Format(pn, phonenumbers.E164)
	// The E.164 form must read back as itself, so that stored numbers
	// compare equal whatever form they were typed in.
	again, err := phonenumbers.Parse(out, region)
	if err != nil || phonenumbers.Format(again, phonenumbers.E164) != out || !phonenumbers.IsValidNumber(again) {
		return "", vms.FieldError("number", "is not a valid phone number")
	}
	return out, nil
}

func parseError(err error) error {
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return vms.FieldError("number", "has an unknown country code")
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return vms.FieldError("number", "is too short")
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return vms.FieldError("number", "is too long")
	}
	return vms.FieldError("number", "is not a phone number")
}

func checkParsed(pn *phonenumbers.PhoneNumber) error {
	switch phonenumbers.IsPossibleNumberWithReason(pn) {
	case phonenumbers.INVALID_COUNTRY_CODE:
		return vms.FieldError("number", "has an unknown country code")
	case phonenumbers.TOO_SHORT:
		return vms.FieldError("number", "is too short for %s", countryName(pn))
	case phonenumbers.TOO_LONG:
		return vms.FieldError("number", "is too long for %s", countryName(pn))
	case phonenumbers.INVALID_LENGTH, phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return vms.FieldError("number", "does not have a valid length for %s", countryName(pn))
	}
	if !phonenumbers.IsValidNumber(pn) {
		return vms.FieldError("number", "is not a valid number for %s", countryName(pn))
	}
	return nil
}

// countryName names the country of a parsed number for messages: its region
// code ("BE") and calling code.
func countryName(pn *phonenumbers.PhoneNumber) string {
	cc := int(pn.GetCountryCode())
	r := phonenumbers.GetRegionCodeForCountryCode(cc)
	if r == "" || r == "ZZ" || r == "001" {
		return "country code +" + itoa(cc)
	}
	return r + " (+" + itoa(cc) + ")"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [12]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// parseE164 parses a number already in E.164 form; nil when it is not a
// valid number.
func parseE164(e164 string) *phonenumbers.PhoneNumber {
	if len(e164) < 3 || len(e164) > 16 || e164[0] != '+' || strings.Trim(e164[1:], "0123456789") != "" {
		return nil
	}
	pn, err := phonenumbers.Parse(e164, "ZZ")
	if err != nil || !phonenumbers.IsValidNumber(pn) {
		return nil
	}
	return pn
}

// KindOf returns the kind of an E.164 number; Unknown when it is not valid.
func KindOf(e164 string) Kind {
	pn := parseE164(e164)
	if pn == nil {
		return Unknown
	}
	if k, ok := kinds[phonenumbers.GetNumberType(pn)]; ok {
		return k
	}
	return Unknown
}

// RegionOf returns the region code of an E.164 number ("BE"), "001" for
// non-geographic entities such as +800, and "" when it is not valid.
func RegionOf(e164 string) string {
	pn := parseE164(e164)
	if pn == nil {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(pn)
}

// IsInternational reports whether the E.164 number is outside the region
// home (DefaultRegion when empty). An invalid number is international: it
// is not known to belong to home.
func IsInternational(e164, home string) bool {
	if home == "" {
		home = DefaultRegion
	}
	return RegionOf(e164) != strings.ToUpper(home)
}

// Line holds what the operator knows of a line; it decides activation (NUM-2).
type Line struct {
	E164                 string
	OnNetwork            bool // the number is on the operator's own network (not ported out)
	CNIP                 bool // the line carries CNIP (calling name presentation)
	EnterpriseSwitch     bool // the line belongs to an Enterprise Office Switch
	OneCompanyNumber     bool // the line belongs to a One Company Number
	MarketingDestination bool // a freephone/premium number already points to it; no obstacle
}

// CheckActivation returns nil when the service may be activated on the line
// in the operator's region home (DefaultRegion when empty). Otherwise it
// returns an EINVALID *vms.Error on field "number" whose message is the
// reason of the refusal (NUM-2).
func CheckActivation(l Line, home string) error {
	if home == "" {
		home = DefaultRegion
	}
	home = strings.ToUpper(home)
	pn := parseE164(l.E164)
	if pn == nil {
		return vms.FieldError("number", "%q is not a valid number in E.164 form (+32...)", l.E164)
	}
	kind := KindOf(l.E164)
	if pn.GetCountryCode() == 800 {
		return vms.FieldError("number", "%s is an international freephone number (+800); only geographic numbers can be activated", l.E164)
	}
	if region := phonenumbers.GetRegionCodeForNumber(pn); region != home {
		return vms.FieldError("number", "%s is a number of %s; the operator's network is national, so only numbers of %s can be activated", l.E164, countryName(pn), home)
	}
	switch kind {
	case Fixed:
	case Freephone:
		return vms.FieldError("number", "%s is a freephone (0800) number; activate the geographic number it points to instead", l.E164)
	case Premium, SharedCost:
		return vms.FieldError("number", "%s is %s (a marketing number); activate the geographic number it points to instead", l.E164, kind.Title())
	default:
		return vms.FieldError("number", "%s is %s; only geographic (fixed) numbers can be activated", l.E164, kind.Title())
	}
	switch {
	case !l.OnNetwork:
		return vms.FieldError("number", "%s is not on the operator's network (another operator's number, or ported out); it cannot be activated", l.E164)
	case l.CNIP:
		return vms.FieldError("number", "%s carries CNIP (calling name presentation), which cannot be combined with this service", l.E164)
	case l.EnterpriseSwitch:
		return vms.FieldError("number", "%s belongs to an Enterprise Office Switch, which cannot be combined with this service", l.E164)
	case l.OneCompanyNumber:
		return vms.FieldError("number", "%s belongs to a One Company Number, which cannot be combined with this service", l.E164)
	}
	// A geographic number that is already the destination of a marketing
	// number (l.MarketingDestination) may be activated: nothing to refuse.
	return nil
}
