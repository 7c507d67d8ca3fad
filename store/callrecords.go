package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	vms "github.com/vmsplatform/vms"
)

// Call record list limits.
const (
	DefaultCallLimit = 100
	MaxCallLimit     = 5000
)

// SaveCallRecord stores a call record and its legs in one transaction
// (TRM-8). It is an upsert keyed on CallID that only moves forward, so
// that a call can be saved at answer and again at its end, by the process
// that routed it or by the one that adopted it after a restart, in any
// order and any number of times:
//
//   - A record is "more advanced" than another when it is ended (EndedAt
//     set) and the other is not; among records equally ended or not, when
//     it is answered (AnsweredAt set) and the other is not; and among
//     those, when it has more legs.
//   - An incoming record more advanced than the stored one completes it:
//     its non-empty AnsweredAt, EndedAt, Outcome, Destination and Path
//     replace the stored ones, and its legs replace the stored legs as a
//     whole when it has at least as many.
//   - Any other incoming record (a duplicate, a retry after a lost reply,
//     a stale save arriving late) changes nothing but empty fields: it
//     never overwrites what is stored.
//   - Legs still open (EndedAt nil) in an ended record end at the
//     call's end.
//   - The identity of the call (TenantID, NumberID, Caller, Dialed,
//     TreeID, TreeVersion, ArrivedAt) is kept as first stored; only empty
//     values of it are filled in.
//
// r.ID is set to the stored record's id either way; r itself is not
// otherwise changed to the merged record.
func (s *Store) SaveCallRecord(ctx context.Context, r *CallRecord) error {
	r.CallID = strings.TrimSpace(r.CallID)
	if r.CallID == "" {
		return vms.FieldError("call_id", "is required")
	}
	if r.ArrivedAt.IsZero() {
		return vms.FieldError("arrived_at", "is required")
	}
	// Normalise a copy: the times r points to may be shared with the
	// caller's other records.
	in := *r
	utc(&in.ArrivedAt)
	in.AnsweredAt = utcCopy(in.AnsweredAt)
	in.EndedAt = utcCopy(in.EndedAt)
	in.Legs = make([]CallLeg, len(r.Legs))
	for i, l := range r.Legs {
		utc(&l.StartedAt)
		l.AnsweredAt = utcCopy(l.AnsweredAt)
		l.EndedAt = utcCopy(l.EndedAt)
		in.Legs[i] = l
	}
	err := s.tx(ctx, func(db *gorm.DB) error { return s.upsertCallRecord(db, &in) })
	if err != nil && isUniqueViolation(err) {
		// A concurrent first save of the same call won the insert: merge
		// with it instead.
		err = s.tx(ctx, func(db *gorm.DB) error { return s.upsertCallRecord(db, &in) })
	}
	if err != nil {
		return fmt.Errorf("store: save call record %s: %w", r.CallID, err)
	}
	r.ID = in.ID
	return nil
}

func utcCopy(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	utc(&c)
	return &c
}

func isUniqueViolation(err error) bool {
	_, dup := uniqueViolation(err)
	return dup
}

// upsertCallRecord inserts r or merges it into the stored record, inside
// the transaction db.
func (s *Store) upsertCallRecord(db *gorm.DB, r *CallRecord) error {
	q := db
	if s.dialect == DialectPostgres {
		// Serialise concurrent merges of one call (SQLite write
		// transactions are serialised already: _txlock=immediate).
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var old CallRecord
	err := q.Where("call_id = ?", r.CallID).Take(&old).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		rec := *r
		rec.ID = 0
		rec.Legs = nil
		if err := db.Omit(clause.Associations).Create(&rec).Error; err != nil {
			return err
		}
		r.ID = rec.ID
		if err := replaceLegs(db, rec.ID, r.Legs, false); err != nil {
			return err
		}
		return endOpenLegs(db, rec.ID, rec.EndedAt)
	}
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	r.ID = old.ID
	var legs int64
	if err := db.Model(&CallLeg{}).Where("call_record_id = ?", old.ID).Count(&legs).Error; err != nil {
		return fmt.Errorf("count legs: %w", err)
	}
	merged, takeLegs := mergeCallRecord(old, int(legs), r)
	if err := db.Omit(clause.Associations).Save(&merged).Error; err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if takeLegs {
		if err := replaceLegs(db, old.ID, r.Legs, true); err != nil {
			return err
		}
	}
	return endOpenLegs(db, old.ID, merged.EndedAt)
}

// endOpenLegs ends the legs of record id still open (EndedAt nil) at the
// call's end, if it ended: the bridged leg of a call whose end only an
// adopter saw ended with the call.
func endOpenLegs(db *gorm.DB, id uint, end *time.Time) error {
	if end == nil {
		return nil
	}
	err := db.Model(&CallLeg{}).Where("call_record_id = ? AND ended_at IS NULL", id).Update("ended_at", *end).Error
	if err != nil {
		return fmt.Errorf("end open call legs: %w", err)
	}
	return nil
}

// replaceLegs stores legs as the legs of record id, numbered from 1,
// deleting the previous ones when replace is set. The caller's legs are
// not changed.
func replaceLegs(db *gorm.DB, id uint, legs []CallLeg, replace bool) error {
	if replace {
		if err := db.Where("call_record_id = ?", id).Delete(&CallLeg{}).Error; err != nil {
			return fmt.Errorf("delete call legs: %w", err)
		}
	}
	if len(legs) == 0 {
		return nil
	}
	rows := make([]CallLeg, len(legs))
	for i, l := range legs {
		l.ID = 0
		l.CallRecordID = id
		l.Seq = i + 1
		rows[i] = l
	}
	if err := db.Create(&rows).Error; err != nil {
		return fmt.Errorf("save call legs: %w", err)
	}
	return nil
}

// progress orders call records by how far they got (see SaveCallRecord).
func progress(ended, answered bool, legs int) [3]int {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	return [3]int{b(ended), b(answered), legs}
}

func ahead(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return false
}

// mergeCallRecord returns the stored record old (which has oldLegs legs)
// completed with in, and whether in's legs replace the stored ones.
func mergeCallRecord(old CallRecord, oldLegs int, in *CallRecord) (CallRecord, bool) {
	m := old
	m.Legs = nil
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	if m.TenantID == 0 {
		m.TenantID = in.TenantID
	}
	if m.NumberID == 0 {
		m.NumberID = in.NumberID
	}
	fill(&m.Caller, in.Caller)
	fill(&m.Dialed, in.Dialed)
	if m.TreeID == "" && in.TreeID != "" {
		m.TreeID, m.TreeVersion = in.TreeID, in.TreeVersion
	}
	forward := ahead(progress(in.EndedAt != nil, in.AnsweredAt != nil, len(in.Legs)),
		progress(old.EndedAt != nil, old.AnsweredAt != nil, oldLegs))
	take := func(dst *string, v string) {
		if v != "" && (forward || *dst == "") {
			*dst = v
		}
	}
	takeTime := func(dst **time.Time, v *time.Time) {
		if v != nil && (forward || *dst == nil) {
			t := *v
			*dst = &t
		}
	}
	takeTime(&m.AnsweredAt, in.AnsweredAt)
	if m.EndedAt == nil { // an end, once stored, stays
		takeTime(&m.EndedAt, in.EndedAt)
	}
	take(&m.Outcome, in.Outcome)
	take(&m.Destination, in.Destination)
	if in.Path != "" && in.Path != "[]" && (forward || m.Path == "" || m.Path == "[]") {
		m.Path = in.Path
	}
	takeLegs := len(in.Legs) > 0 && (oldLegs == 0 || forward && len(in.Legs) >= oldLegs)
	return m, takeLegs
}

// The store keeps times in UTC at microsecond precision on both dialects.
func utc(t *time.Time) { *t = t.UTC().Truncate(time.Microsecond) }

// CallFilter selects call records of a tenant.
type CallFilter struct {
	// From and To bound the arrival time: From inclusive, To exclusive;
	// zero means unbounded.
	From, To time.Time
	// Number matches the caller or the dialed number exactly (E.164).
	Number string
	Limit  int
	Offset int
}

// ListCallRecords returns the tenant's call records, newest first, without
// legs. The limit defaults to DefaultCallLimit, capped at MaxCallLimit.
func (s *Store) ListCallRecords(ctx context.Context, tenantID uint, f CallFilter) ([]CallRecord, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultCallLimit
	}
	limit = min(limit, MaxCallLimit)
	q := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID)
	if !f.From.IsZero() {
		q = q.Where("arrived_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("arrived_at < ?", f.To.UTC())
	}
	if f.Number != "" {
		q = q.Where("caller = ? OR dialed = ?", f.Number, f.Number)
	}
	if f.Offset > 0 {
		q = q.Offset(f.Offset)
	}
	var out []CallRecord
	if err := q.Order("arrived_at DESC, id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list call records: %w", err)
	}
	return out, nil
}

// GetCallRecord returns a call record of the tenant with its legs.
func (s *Store) GetCallRecord(ctx context.Context, tenantID, id uint) (*CallRecord, error) {
	var r CallRecord
	db := s.db.WithContext(ctx)
	if err := first(db.Where("id = ? AND tenant_id = ?", id, tenantID), &r, "call", id); err != nil {
		return nil, err
	}
	if err := db.Where("call_record_id = ?", r.ID).Order("seq").Find(&r.Legs).Error; err != nil {
		return nil, fmt.Errorf("store: get call legs: %w", err)
	}
	return &r, nil
}
