package sep

import (
	"context"
	"errors"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/store"
)

// PeriodRequest asks SEP for an organisation's applications of a period («Запрос заявлений
// за период»).
type PeriodRequest struct {
	// RequestID makes a repeated call return the first one's entry.
	RequestID       string    `json:"requestId" validate:"omitempty,sepid"`
	OrganisationINN string    `json:"organisation" validate:"required,inn"`
	From            time.Time `json:"from" validate:"required"`
	To              time.Time `json:"to" validate:"required,gtefield=From"`
}

// RequestApplications queues a request for the applications of a period; their data lands
// in the application data register when the answer comes.
func (s *Service) RequestApplications(ctx context.Context, tenant string, r PeriodRequest) (Entry, error) {
	if err := check(r); err != nil {
		return Entry{}, err
	}
	st, err := s.Settings(ctx, tenant)
	if err != nil {
		return Entry{}, err
	}
	return s.enqueue(ctx, tenant, st, newEntry{requestID: r.RequestID, org: r.OrganisationINN,
		body:  ApplicationsQuery{INN: r.OrganisationINN, From: r.From, To: r.To},
		entry: Entry{Subject: "Заявления за " + r.From.Format("02.01.2006") + "–" + r.To.Format("02.01.2006")}})
}

// LetterDataRequest asks SEP for the applications the selected letters are about («Запрос
// данных заявления»).
type LetterDataRequest struct {
	RequestID       string   `json:"requestId" validate:"omitempty,sepid"`
	OrganisationINN string   `json:"organisation" validate:"required,inn"`
	LetterIDs       []string `json:"letters" validate:"required,min=1,max=50,dive,sepid"`
}

// RequestLetterData queues one request per letter: by application number when the letter
// had one, else by its EPTS number.
func (s *Service) RequestLetterData(ctx context.Context, tenant string, r LetterDataRequest) ([]Entry, error) {
	if err := check(r); err != nil {
		return nil, err
	}
	st, err := s.Settings(ctx, tenant)
	if err != nil {
		return nil, err
	}
	tv, err := s.view(tenant)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, id := range r.LetterIDs {
		l, err := getLetter(ctx, tv, id)
		if err != nil {
			return out, err
		}
		if l.Status == LetterMalformed || l.EPTS == "" {
			return out, apperr.New(apperr.Invalid, "SEP_LETTER_UNREADABLE", "Письмо не удалось разобрать: данные заявления по нему не запросить")
		}
		body := ApplicationQuery{Number: l.ApplicationNumber}
		subject := "Заявление " + l.ApplicationNumber
		if body.Number == "" {
			body.EPTS, subject = l.EPTS, "ЭПТС "+l.EPTS
		}
		reqID := ""
		if r.RequestID != "" {
			reqID = r.RequestID + "/" + id
		}
		e, err := s.enqueue(ctx, tenant, st, newEntry{requestID: reqID, org: r.OrganisationINN, body: body,
			entry: Entry{Subject: subject, ApplicationNumber: l.ApplicationNumber, EPTS: l.EPTS, LetterID: id}})
		if err != nil {
			return out, err
		}
		if err := updateLetter(ctx, tv, id, func(l *Letter) {
			if l.Status != LetterDone {
				l.Status, l.LastEntryID, l.Error = LetterRequested, e.ID, ""
			}
		}); err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

// RefreshRequest asks SEP again for applications' data («Обновить данные заявления»).
type RefreshRequest struct {
	RequestID string   `json:"requestId" validate:"omitempty,sepid"`
	Numbers   []string `json:"numbers" validate:"required,min=1,max=50,dive,appnumber"`
	// OrganisationINN sends as this organisation; empty: the one recorded with each application.
	OrganisationINN string `json:"organisation" validate:"omitempty,inn"`
}

// RefreshApplications queues a data request per application.
func (s *Service) RefreshApplications(ctx context.Context, tenant string, r RefreshRequest) ([]Entry, error) {
	if err := check(r); err != nil {
		return nil, err
	}
	st, err := s.Settings(ctx, tenant)
	if err != nil {
		return nil, err
	}
	tv, err := s.view(tenant)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, n := range r.Numbers {
		org := r.OrganisationINN
		if org == "" {
			a, err := s.ApplicationData(ctx, tenant, n)
			if err != nil {
				return out, err
			}
			org = a.OrganisationINN
		}
		reqID := ""
		if r.RequestID != "" {
			reqID = r.RequestID + "/" + n
		}
		e, err := s.enqueue(ctx, tenant, st, newEntry{requestID: reqID, org: org, body: ApplicationQuery{Number: n},
			entry: Entry{Subject: "Заявление " + n, ApplicationNumber: n}})
		if err != nil {
			return out, err
		}
		if err := setAppEntry(ctx, tv, n, e.ID); err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

// setAppEntry records the latest request about an application, if its data is known.
func setAppEntry(ctx context.Context, tv store.Store, number, entryID string) error {
	_, err := store.Mutate(ctx, tv, pkApp, number, func(cur *store.Item) (store.Item, error) {
		if cur == nil {
			return store.Item{}, errNone
		}
		r, err := decodeJSON[ApplicationRecord](*cur)
		if err != nil {
			return store.Item{}, err
		}
		r.LastEntryID = entryID
		return appItem(r), nil
	})
	if errors.Is(err, errNone) {
		return nil
	}
	return storeErr(err)
}

// OwnershipFilter selects ownership-change applications («Смена собственника»).
type OwnershipFilter struct {
	PageRequest
	ResponsibleID string `json:"responsible" validate:"omitempty,sepid"`
	AssetID       string `json:"asset" validate:"omitempty,sepid"`
	VIN           string `json:"vin" validate:"omitempty,max=17"`
	EPTS          string `json:"epts" validate:"omitempty,max=15"`
}

// OwnershipRow is one application of the ownership-change list.
type OwnershipRow struct {
	ApplicationRecord
	CurrentOwner Party `json:"currentOwner"`
	NewOwner     Party `json:"newOwner"`
	// Code is the newest unused confirmation code known for it ("" when none: type it).
	Code       string `json:"code,omitempty"`
	CodeLetter string `json:"codeLetter,omitempty"`
}

// OwnershipChanges lists ownership-change applications not yet executed (or rejected), with
// owners and codes, filtered by responsible person, asset, VIN or EPTS (a part of the VIN or
// EPTS is enough). Filters apply within each page of open applications, so a page may be
// short while Next is set.
func (s *Service) OwnershipChanges(ctx context.Context, tenant string, f OwnershipFilter) (Page[OwnershipRow], error) {
	if err := check(f); err != nil {
		return Page[OwnershipRow]{}, err
	}
	tv, err := s.view(tenant)
	if err != nil {
		return Page[OwnershipRow]{}, err
	}
	page, err := listPage(ctx, tv, store.Query{Index: store.GSI1, PK: gsiAppOpen, Prefix: string(OwnershipChange) + "#"},
		f.PageRequest, func(it store.Item) (ApplicationRecord, error) { return decodeApp(ctx, tv, it) })
	if err != nil {
		return Page[OwnershipRow]{}, err
	}
	out := Page[OwnershipRow]{Items: []OwnershipRow{}, Next: page.Next}
	for _, r := range page.Items {
		if !matchOwnership(r, f) {
			continue
		}
		row := OwnershipRow{ApplicationRecord: r}
		row.CurrentOwner, _ = r.Party(RoleCurrentOwner)
		row.NewOwner, _ = r.Party(RoleNewOwner)
		c, err := latestCode(ctx, tv, r.Number, eptsOf(r.Vehicles))
		if err != nil {
			return Page[OwnershipRow]{}, err
		}
		row.Code, row.CodeLetter = c.Code, c.LetterID
		out.Items = append(out.Items, row)
	}
	return out, nil
}

func matchOwnership(r ApplicationRecord, f OwnershipFilter) bool {
	if f.ResponsibleID != "" && !containsStr(r.ResponsibleIDs, f.ResponsibleID) {
		return false
	}
	if f.AssetID != "" && !containsStr(r.AssetIDs, f.AssetID) {
		return false
	}
	match := func(want string, get func(Vehicle) string) bool {
		if want == "" {
			return true
		}
		for _, v := range r.Vehicles {
			if containsFold(get(v), want) {
				return true
			}
		}
		return false
	}
	return match(normUpper(f.VIN), func(v Vehicle) string { return v.VIN }) &&
		match(f.EPTS, func(v Vehicle) string { return v.EPTS })
}

func eptsOf(vs []Vehicle) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.EPTS)
	}
	return out
}

// ConfirmRequest confirms (or rejects) the tenant's side of an application with its one-time
// code («Подтвердить»).
type ConfirmRequest struct {
	RequestID string      `json:"requestId" validate:"omitempty,sepid"`
	Number    string      `json:"number" validate:"required,appnumber"`
	Status    PartyStatus `json:"status" validate:"required,oneof=Confirmed Rejected"`
	// Code is the code from the letter; empty takes the newest one received by mail. A code
	// typed by hand is recorded in the codes register.
	Code string `json:"code" validate:"omitempty,sepcode"`
}

// ConfirmOwnership queues the confirmation of an ownership change by the new owner (one of
// the tenant's organisations). When SEP answers that every party confirmed, the assets get
// the status "В собственности".
func (s *Service) ConfirmOwnership(ctx context.Context, tenant string, r ConfirmRequest) (Entry, error) {
	if err := check(r); err != nil {
		return Entry{}, err
	}
	app, err := s.ApplicationData(ctx, tenant, r.Number)
	if err != nil {
		return Entry{}, err
	}
	if app.Type != OwnershipChange {
		return Entry{}, ErrAppType
	}
	st, err := s.Settings(ctx, tenant)
	if err != nil {
		return Entry{}, err
	}
	party, ok := app.Party(RoleNewOwner)
	if !ok || !st.ours(party.INN) {
		return Entry{}, ErrNotParty
	}
	return s.confirm(ctx, tenant, st, app, party.INN, party.INN, r, "")
}

// confirm queues a Confirmation of party partyINN sent by organisation org.
func (s *Service) confirm(ctx context.Context, tenant string, st Settings, app ApplicationRecord, org, partyINN string, r ConfirmRequest, leaseID string) (Entry, error) {
	if app.Final() {
		return Entry{}, ErrAppClosed
	}
	tv, err := s.view(tenant)
	if err != nil {
		return Entry{}, err
	}
	code := r.Code
	if code == "" {
		c, err := latestCode(ctx, tv, app.Number, eptsOf(app.Vehicles))
		if err != nil {
			return Entry{}, err
		}
		code = c.Code
	} else if err := s.recordManualCode(ctx, tv, app, code, r.RequestID); err != nil {
		return Entry{}, err
	}
	if code == "" {
		return Entry{}, ErrCodeRequired
	}
	e, err := s.enqueue(ctx, tenant, st, newEntry{requestID: r.RequestID, org: org, code: code,
		body:  Confirmation{Number: app.Number, PartyINN: partyINN, Status: r.Status, Code: code},
		entry: Entry{Subject: "Подтверждение заявления " + app.Number, ApplicationNumber: app.Number, LeaseID: leaseID}})
	if err != nil {
		return Entry{}, err
	}
	return e, setAppEntry(ctx, tv, app.Number, e.ID)
}

// recordManualCode keeps a code typed by hand in the codes register, once per code.
func (s *Service) recordManualCode(ctx context.Context, tv store.Store, app ApplicationRecord, code, requestID string) error {
	known, err := latestCode(ctx, tv, app.Number, nil)
	if err != nil || known.Code == code {
		return err
	}
	now := s.now()
	c := CodeRecord{Received: now, LetterID: "manual-" + shortHash(app.Number, code),
		ApplicationNumber: app.Number, Code: code, Manual: true}
	if len(app.Vehicles) > 0 {
		c.EPTS, c.VIN = app.Vehicles[0].EPTS, app.Vehicles[0].VIN
	}
	if len(app.AssetIDs) > 0 {
		c.AssetID = app.AssetIDs[0]
	}
	_, err = tv.Put(ctx, codeItem(c))
	return storeErr(err)
}

// CandidatesRequest selects lease contract appendices to send («Заполнить список приложений
// ДЛ»): of an organisation, dated in a period.
type CandidatesRequest struct {
	PageRequest
	OrganisationINN string    `json:"organisation" validate:"required,inn"`
	From            time.Time `json:"from" validate:"required"`
	To              time.Time `json:"to" validate:"required,gtefield=From"`
}

// LeaseCandidate is a contract appendix with its assets' statuses.
type LeaseCandidate struct {
	Contract LeaseContract    `json:"contract"`
	Assets   []CandidateAsset `json:"assets"`
	// Ready: every asset is owned ("В собственности") with an EPTS, and no lease application
	// of the appendix is open or executed.
	Ready bool `json:"ready"`
	// Reason says why not, for 1C users.
	Reason string `json:"reason,omitempty"`
	// LeaseID is the appendix's lease application already sent, if any.
	LeaseID string `json:"lease,omitempty"`
}

// CandidateAsset is an asset of a candidate.
type CandidateAsset struct {
	Asset  Asset  `json:"asset"`
	Status string `json:"status"`
}

// LeaseCandidates lists the organisation's contract appendices of the period with what
// stands between each and a lease application.
func (s *Service) LeaseCandidates(ctx context.Context, tenant string, r CandidatesRequest) (Page[LeaseCandidate], error) {
	if err := check(r); err != nil {
		return Page[LeaseCandidate]{}, err
	}
	tv, err := s.view(tenant)
	if err != nil {
		return Page[LeaseCandidate]{}, err
	}
	to := r.To.AddDate(0, 0, 1).Add(-time.Microsecond) // the whole last day
	return listPage(ctx, tv, store.Query{Index: store.GSI1, PK: gsiOrgCtr + r.OrganisationINN,
		From: tkey(r.From), To: tkey(to) + "#" + maxSuffix}, r.PageRequest,
		func(it store.Item) (LeaseCandidate, error) {
			c, err := s.decodeContract(ctx, tenant, it)
			if err != nil {
				return LeaseCandidate{}, err
			}
			return s.candidate(ctx, tv, c)
		})
}

func (s *Service) candidate(ctx context.Context, tv store.Store, c LeaseContract) (LeaseCandidate, error) {
	out := LeaseCandidate{Contract: c, Ready: true}
	now := s.now()
	for _, id := range c.AssetIDs {
		a, err := getAsset(ctx, tv, id)
		if errors.Is(err, ErrAssetNotFound) {
			out.Ready, out.Reason = false, "Основное средство "+id+" не найдено"
			continue
		}
		if err != nil {
			return out, err
		}
		status, err := currentStatus(ctx, tv, id, now)
		if err != nil {
			return out, err
		}
		out.Assets = append(out.Assets, CandidateAsset{Asset: a, Status: status})
		switch {
		case a.EPTS == "":
			out.Ready, out.Reason = false, "У основного средства «"+a.Name+"» не указан ЭПТС"
		case status != AssetOwned:
			out.Ready, out.Reason = false, "Основное средство «"+a.Name+"» не в статусе «В собственности»"
		}
	}
	l, ok, err := leaseOfContract(ctx, tv, c.ID)
	if err != nil {
		return out, err
	}
	if ok {
		out.LeaseID = l.ID
		out.Ready, out.Reason = false, "Заявление на лизинг уже отправлено ("+l.Status+")"
	}
	return out, nil
}

// leaseOfContract returns the appendix's lease application that is open or executed.
func leaseOfContract(ctx context.Context, tv store.Store, contractID string) (LeaseApplication, bool, error) {
	p, err := tv.Query(ctx, store.Query{Index: store.GSI2, PK: gsiLeaseCt, Prefix: contractID + "#", Limit: 100})
	if err != nil {
		return LeaseApplication{}, false, storeErr(err)
	}
	for _, it := range p.Items {
		l, err := decodeJSON[LeaseApplication](it)
		if err != nil {
			return l, false, err
		}
		if l.Status != AppRejected && l.Status != LeaseRefused {
			return l, true, nil
		}
	}
	return LeaseApplication{}, false, nil
}

// SendLeaseRequest sends a lease application for a contract appendix («Отправить/подтвердить
// заявление на лизинг»).
type SendLeaseRequest struct {
	RequestID  string `json:"requestId" validate:"omitempty,sepid"`
	ContractID string `json:"contract" validate:"required,sepid"`
	// LessorStatus is the tenant's own side: Confirmed (default) or Pending.
	LessorStatus PartyStatus `json:"lessorStatus" validate:"omitempty,oneof=Confirmed Pending"`
	// LesseeStatus: NotApplicable (default) or Pending.
	LesseeStatus PartyStatus `json:"lesseeStatus" validate:"omitempty,oneof=NotApplicable Pending"`
	// Deadline is the date by which the application must be confirmed (default: today plus
	// Options.LeaseDeadlineDays).
	Deadline time.Time `json:"deadline"`
	// UseTechMailbox sends the lessee's code to the technical mailbox of the settings,
	// instead of the partner's e-mail from the appendix.
	UseTechMailbox bool `json:"useTechMailbox"`
}

// SendLease records a lease application and queues it. The lessee's code comes by mail;
// ConfirmLease sends it.
func (s *Service) SendLease(ctx context.Context, tenant string, r SendLeaseRequest) (LeaseApplication, error) {
	if err := check(r); err != nil {
		return LeaseApplication{}, err
	}
	tv, err := s.view(tenant)
	if err != nil {
		return LeaseApplication{}, err
	}
	st, err := s.Settings(ctx, tenant)
	if err != nil {
		return LeaseApplication{}, err
	}
	c, err := s.LeaseContract(ctx, tenant, r.ContractID)
	if err != nil {
		return LeaseApplication{}, err
	}
	org, ok := st.Organisation(c.OrganisationINN)
	if !ok {
		return LeaseApplication{}, ErrNotConfigured
	}
	now := s.now()
	id := newID(now)
	var l LeaseApplication
	resume := false
	if r.RequestID != "" {
		id = derivedID(tenant, "lease", r.RequestID)
		switch got, err := s.LeaseApplication(ctx, tenant, id); {
		case err == nil && got.RequestStatus != "":
			return got, nil // a repeat of a call that got through
		case err == nil:
			// A repeat of a call that stopped between the record and its request: finish it.
			l, resume = got, true
		case !errors.Is(err, ErrLeaseNotFound):
			return LeaseApplication{}, err
		}
	}
	if !resume {
		cand, err := s.candidate(ctx, tv, c)
		if err != nil {
			return LeaseApplication{}, err
		}
		if !cand.Ready {
			if cand.LeaseID != "" {
				return LeaseApplication{}, ErrLeaseActive
			}
			return LeaseApplication{}, apperr.New(apperr.Conflict, ErrNotOwned.Code, cand.Reason)
		}
		l = LeaseApplication{ID: id, ContractID: c.ID, OrganisationINN: org.INN, LesseeINN: c.LesseeINN,
			LesseeName: c.LesseeName, DocNumber: c.DocNumber, DocDate: c.DocDate, AssetIDs: c.AssetIDs,
			Status: LeaseSending, LessorStatus: r.LessorStatus, LesseeStatus: r.LesseeStatus, Deadline: r.Deadline,
			UseTechMailbox: r.UseTechMailbox, Created: now, Updated: now,
			// The request's id is known before it exists, so a crash in between is found.
			LastEntryID: derivedID(tenant, "entry", "lease/"+id)}
		if l.LessorStatus == "" {
			l.LessorStatus = PartyConfirmed
		}
		if l.LesseeStatus == "" {
			l.LesseeStatus = PartyNotApplicable
		}
		if l.Deadline.IsZero() {
			l.Deadline = now.Truncate(24*time.Hour).AddDate(0, 0, s.opts.LeaseDeadlineDays)
		}
		for _, a := range cand.Assets {
			l.Vehicles = append(l.Vehicles, Vehicle{EPTS: a.Asset.EPTS, VIN: a.Asset.VIN})
		}
	}
	email := c.LesseeEmail
	if l.UseTechMailbox {
		email = st.TechMailbox
	}
	if email == "" {
		return LeaseApplication{}, ErrNoMailbox
	}
	if !resume {
		if _, err := tv.Put(ctx, leaseItem(l), store.NotExists()); errors.Is(err, store.ErrConditionFailed) {
			return s.LeaseApplication(ctx, tenant, id) // a concurrent repeat won
		} else if err != nil {
			return LeaseApplication{}, storeErr(err)
		}
	}
	lessor := Party{Role: RoleLessor, INN: org.INN, OGRN: org.OGRN, Name: org.Name, Status: l.LessorStatus}
	lessee := Party{Role: RoleLessee, INN: c.LesseeINN, OGRN: c.LesseeOGRN, Name: c.LesseeName, Status: l.LesseeStatus}
	if _, err := s.enqueue(ctx, tenant, st, newEntry{requestID: "lease/" + id, org: org.INN,
		body: LeaseProposal{DocName: c.DocName, DocNumber: c.DocNumber, DocDate: c.DocDate, LeaseEnd: c.LeaseEnd,
			Deadline: l.Deadline, Vehicles: l.Vehicles, Lessor: lessor, Lessee: lessee, LesseeEmail: email},
		entry: Entry{Subject: "Заявление на лизинг по договору " + c.DocNumber, LeaseID: id}}); err != nil {
		return LeaseApplication{}, err
	}
	return s.LeaseApplication(ctx, tenant, id)
}

// ConfirmLeaseRequest sets the lessee's side with the code from SEP's letter.
type ConfirmLeaseRequest struct {
	RequestID    string      `json:"requestId" validate:"omitempty,sepid"`
	LeaseID      string      `json:"lease" validate:"required,max=64"`
	LesseeStatus PartyStatus `json:"lesseeStatus" validate:"required,oneof=Confirmed Rejected"`
	Code         string      `json:"code" validate:"omitempty,sepcode"`
}

// ConfirmLease queues the lessee's confirmation. When SEP answers that every party
// confirmed, the assets get the status "В лизинге".
func (s *Service) ConfirmLease(ctx context.Context, tenant string, r ConfirmLeaseRequest) (LeaseApplication, error) {
	if err := check(r); err != nil {
		return LeaseApplication{}, err
	}
	tv, err := s.view(tenant)
	if err != nil {
		return LeaseApplication{}, err
	}
	l, err := s.LeaseApplication(ctx, tenant, r.LeaseID)
	if err != nil {
		return LeaseApplication{}, err
	}
	if l.Number == "" {
		return LeaseApplication{}, ErrLeaseNotCreated
	}
	app, err := s.ApplicationData(ctx, tenant, l.Number)
	if err != nil {
		return LeaseApplication{}, err
	}
	st, err := s.Settings(ctx, tenant)
	if err != nil {
		return LeaseApplication{}, err
	}
	e, err := s.confirm(ctx, tenant, st, app, l.OrganisationINN, l.LesseeINN,
		ConfirmRequest{RequestID: r.RequestID, Number: l.Number, Status: r.LesseeStatus, Code: r.Code}, l.ID)
	if err != nil {
		return LeaseApplication{}, err
	}
	if err := updateLease(ctx, tv, l.ID, func(l *LeaseApplication) { l.LastEntryID = e.ID }); err != nil {
		return LeaseApplication{}, err
	}
	return s.LeaseApplication(ctx, tenant, l.ID)
}

// Counts are the numbers the 1C start-page widget shows, refreshed every 60 s.
type Counts struct {
	Letters   int `json:"letters"`   // letters to process
	Waiting   int `json:"waiting"`   // requests waiting for SEP
	Ready     int `json:"ready"`     // of them: due now (result may be asked for)
	Ownership int `json:"ownership"` // ownership changes not executed
	Leases    int `json:"leases"`    // lease applications open
	// Capped: a count reached CountCap and is at least that.
	Capped bool `json:"capped"`
}

// CountCap bounds each count (and the items read for it).
const CountCap = 1000

// Counts counts the items to process. Each count reads one sparse index partition of only
// the items it counts, up to CountCap.
func (s *Service) Counts(ctx context.Context, tenant string) (Counts, error) {
	tv, err := s.view(tenant)
	if err != nil {
		return Counts{}, err
	}
	var c Counts
	count := func(st store.Store, q store.Query, keep func(store.Item) bool) (int, error) {
		n := 0
		q.Limit = store.MaxQueryLimit
		for {
			p, err := st.Query(ctx, q)
			if err != nil {
				return 0, storeErr(err)
			}
			for _, it := range p.Items {
				if keep == nil || keep(it) {
					n++
				}
			}
			if p.Next == "" || n >= CountCap {
				if n >= CountCap {
					c.Capped = true
				}
				return min(n, CountCap), nil
			}
			q.Cursor = p.Next
		}
	}
	now := s.now()
	if c.Letters, err = count(tv, store.Query{Index: store.GSI1, PK: gsiLetNew}, nil); err != nil {
		return c, err
	}
	if c.Waiting, err = count(s.st, store.Query{PK: pkDuePrefix + tenant}, nil); err != nil {
		return c, err
	}
	if c.Ready, err = count(s.st, store.Query{PK: pkDuePrefix + tenant}, func(it store.Item) bool {
		p, err := pointerFrom(it)
		return err == nil && !p.due.After(now)
	}); err != nil {
		return c, err
	}
	if c.Ownership, err = count(tv, store.Query{Index: store.GSI1, PK: gsiAppOpen, Prefix: string(OwnershipChange) + "#"}, nil); err != nil {
		return c, err
	}
	if c.Leases, err = count(tv, store.Query{Index: store.GSI1, PK: gsiLeaseOp}, nil); err != nil {
		return c, err
	}
	return c, nil
}
