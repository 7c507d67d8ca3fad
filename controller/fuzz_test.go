package controller

import (
	"strings"
	"testing"

	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/engine/enginetest"
	"github.com/vmsplatform/vms/routing"
)

// FuzzCallerFacts feeds caller numbers as a SIP trunk may present them
// (outside input) to the caller facts: never a panic, a kind only for a
// number that is not withheld, and a withheld caller has no number.
func FuzzCallerFacts(f *testing.F) {
	for _, s := range []string{"", "anonymous", "0477123456", "+32 2 222 33 44", "0033142685300", "+", "++32", "abc", "0", strings.Repeat("9", 80), "+3222\x00223344"} {
		f.Add(s)
	}
	c, err := New(Config{Trunk: "PJSIP/{number}@trunk"}, enginetest.NewFake(), &fakeRoutes{}, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		k := newCall(c, t.Context(), engine.CallArrived{Channel: "in", Caller: raw, Events: engine.NewRouter().Subscribe("in")})
		switch {
		case k.facts.CallerWithheld && k.facts.Caller != "":
			t.Errorf("withheld caller with number %q", k.facts.Caller)
		case k.facts.CallerKind != "" && !strings.HasPrefix(k.facts.Caller, "+"):
			t.Errorf("kind %q for a caller %q that is not E.164", k.facts.CallerKind, k.facts.Caller)
		}
		switch k.facts.CallerKind {
		case "", routing.KindFixed, routing.KindMobile, routing.KindInternational:
		default:
			t.Errorf("kind %q", k.facts.CallerKind)
		}
	})
}

// FuzzMenuDigits: any digits pressed settle a menu within the length of
// its longest choice.
func FuzzMenuDigits(f *testing.F) {
	f.Add("1")
	f.Add("31")
	f.Add("9#")
	f.Add("")
	n := &routing.Node{Branches: []routing.Branch{{Digits: "1"}, {Digits: "31"}, {Digits: "312"}, {Digits: "9#"}}}
	f.Fuzz(func(t *testing.T, digits string) {
		if len(digits) >= 3 && !menuComplete(n, digits) {
			t.Errorf("%q not complete though longer than every choice", digits)
		}
	})
}
