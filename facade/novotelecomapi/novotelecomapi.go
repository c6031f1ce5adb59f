// Package novotelecomapi publishes the «Мои счета» module (package novotelecom) to 1C
// «Расчёты с собственниками помещений»: the SOAP service Novotelecom (wsdl/Novotelecom.wsdl)
// and three OData information registers. It only translates: every rule lives in package
// novotelecom.
//
// Operations of Novotelecom, for the principal's tenant:
//
//	GetSettings / SaveSettings       service coding, server login and password (write-only,
//	                                 sealed; saving needs an administrator), «Сообщать
//	                                 подробности», the exchange schedule, the files' charset
//	SubmitServices / SubmitDebts /   1C's data → a registry file in Outgoing (RequestId makes
//	SubmitMeters                     a repeat return the same file): its name, count and sum
//	RunExchange                      the exchange now: sent, received, errors, the summary
//	GetPendingRegistries             received registries awaiting acceptance: file, date,
//	                                 number, count, sum (paged by Cursor/Next)
//	AcceptRegistry(Id)               the document made (type, count, sum) and the
//	                                 confirmation queued for the next exchange
//	GetErrors                        diagnostics with file and line, newest first
//	GetRegistryFile(Id)              the file as stored, base64 (up to MaxFileContent)
//
// Dates travel as 1C writes them: xs:dateTime without an offset; registry dates at midnight
// of their day, the billed month as its first day, instants (sent, received, accepted) in the
// tenant's zone, and 1C's empty date 0001-01-01T00:00:00 for "no date". Money is xs:decimal,
// exact (two decimals; meter values three).
package novotelecomapi

import (
	"context"
	"math"
	"time"

	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/facade/soap/xsd"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/novotelecom"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
	"github.com/stykovka/stykovka/wsdl"
	"github.com/stykovka/stykovka/wsdl/novotelecomws"
)

// Version is the interface version of the Novotelecom service.
const Version = "1.0"

// MaxFileContent is the largest file GetRegistryFile returns: base64 makes it a third larger,
// and a response must stay under the 6 MB a Lambda may answer. The lines of a larger
// registry are read through OData (InformationRegister_NovotelecomRegistryLines), page by page.
const MaxFileContent = 4 << 20

// ErrAdminRequired refuses SaveSettings to a user who is not an administrator of the tenant.
var ErrAdminRequired = apperr.New(apperr.Forbidden, "NOVOTELECOM_ADMIN_REQUIRED",
	"Изменять настройки обмена с «Мои счета» (логин и пароль сервера, кодирование услуг, расписание) может только администратор абонента")

// Limits of the request fields; the domain checks everything else (shapes, codes, lines).
var (
	ruleSettings = soap.Rule{Type: novotelecomws.SaveSettings{}, Fields: map[string]string{
		"Coding": "required,max=16", "Login": "omitempty,max=128", "Password": "omitempty,max=128",
		"ExchangeEvery": "min=0,max=1440", "Charset": "omitempty,max=16"}}
	ruleServices = soap.Rule{Type: novotelecomws.SubmitServices{}, Fields: map[string]string{"RequestId": "required,max=64", "Services": "required"}}
	ruleDebts    = soap.Rule{Type: novotelecomws.SubmitDebts{}, Fields: map[string]string{"RequestId": "required,max=64", "Lines": "required"}}
	ruleMeters   = soap.Rule{Type: novotelecomws.SubmitMeters{}, Fields: map[string]string{"RequestId": "required,max=64", "Lines": "required"}}
	rulePending  = soap.Rule{Type: novotelecomws.GetPendingRegistries{}, Fields: map[string]string{"Cursor": "omitempty,max=2048", "Limit": "omitempty,min=0,max=1000"}}
	ruleErrors   = soap.Rule{Type: novotelecomws.GetErrors{}, Fields: map[string]string{"Cursor": "omitempty,max=2048", "Limit": "omitempty,min=0,max=1000"}}
	ruleAccept   = soap.Rule{Type: novotelecomws.AcceptRegistry{}, Fields: map[string]string{"Id": "required,max=128"}}
	ruleFile     = soap.Rule{Type: novotelecomws.GetRegistryFile{}, Fields: map[string]string{"Id": "required,max=128"}}
)

// New returns the Novotelecom SOAP service over svc.
func New(svc *novotelecom.Service) *soap.Service {
	return soap.MustService(wsdl.Novotelecom, Version, map[string]soap.Operation{
		"GetSettings": soap.Op(func(ctx context.Context, c *soap.Call, _ *novotelecomws.GetSettings) (*novotelecomws.GetSettingsResponse, error) {
			st, err := svc.Settings(ctx, c.Principal.Tenant)
			if err != nil && apperr.As(err).Code == "NOVOTELECOM_NOT_CONFIGURED" {
				// The seed's module opens its settings on the first start: "not configured"
				// is an answer, not a failure.
				return &novotelecomws.GetSettingsResponse{Return_: &novotelecomws.Settings{}}, nil
			}
			if err != nil {
				return nil, err
			}
			return &novotelecomws.GetSettingsResponse{Return_: settingsOut(st)}, nil
		}),

		"SaveSettings": soap.Op(func(ctx context.Context, c *soap.Call, req *novotelecomws.SaveSettings) (*novotelecomws.SaveSettingsResponse, error) {
			if !c.Principal.Admin {
				return nil, ErrAdminRequired
			}
			st, err := svc.SaveSettings(ctx, c.Principal.Tenant, novotelecom.SettingsRequest{
				Coding: novotelecom.Coding(req.Coding), Login: deref(req.Login), Password: deref(req.Password),
				ReportDetails: req.ReportDetails, ExchangeEvery: int(req.ExchangeEvery), Charset: deref(req.Charset),
			})
			if err != nil {
				return nil, err
			}
			return &novotelecomws.SaveSettingsResponse{Return_: settingsOut(st)}, nil
		}, ruleSettings),

		"SubmitServices": soap.Op(func(ctx context.Context, c *soap.Call, req *novotelecomws.SubmitServices) (*novotelecomws.SubmitServicesResponse, error) {
			in := novotelecom.ServicesRequest{RequestID: req.RequestId, Services: make([]novotelecom.ServiceItem, 0, len(req.Services.Item))}
			for _, s := range req.Services.Item {
				if s == nil {
					continue
				}
				in.Services = append(in.Services, novotelecom.ServiceItem{Codes: codes(s.Code, s.CityCode, s.SberCode), Name: s.Name})
			}
			r, err := svc.SubmitServices(ctx, c.Principal.Tenant, in)
			if err != nil {
				return nil, err
			}
			return &novotelecomws.SubmitServicesResponse{Return_: registryOut(r)}, nil
		}, ruleServices),

		"SubmitDebts": soap.Op(func(ctx context.Context, c *soap.Call, req *novotelecomws.SubmitDebts) (*novotelecomws.SubmitDebtsResponse, error) {
			in := novotelecom.DebtsRequest{RequestID: req.RequestId, Period: periodIn(req.Period, c.Location),
				Lines: make([]novotelecom.DebtLine, 0, len(req.Lines.Item))}
			for _, l := range req.Lines.Item {
				if l == nil {
					continue
				}
				in.Lines = append(in.Lines, novotelecom.DebtLine{Account: l.Account, Address: deref(l.Address),
					Service: codes(l.Code, l.CityCode, l.SberCode), Amount: l.Amount})
			}
			r, err := svc.SubmitDebts(ctx, c.Principal.Tenant, in)
			if err != nil {
				return nil, err
			}
			return &novotelecomws.SubmitDebtsResponse{Return_: registryOut(r)}, nil
		}, ruleDebts),

		"SubmitMeters": soap.Op(func(ctx context.Context, c *soap.Call, req *novotelecomws.SubmitMeters) (*novotelecomws.SubmitMetersResponse, error) {
			in := novotelecom.MetersRequest{RequestID: req.RequestId, Period: periodIn(req.Period, c.Location),
				Lines: make([]novotelecom.MeterLine, 0, len(req.Lines.Item))}
			for _, l := range req.Lines.Item {
				if l == nil {
					continue
				}
				in.Lines = append(in.Lines, novotelecom.MeterLine{Account: l.Account, Address: deref(l.Address), Meter: l.Meter,
					Service: codes(l.Code, l.CityCode, l.SberCode), Value: l.Value})
			}
			r, err := svc.SubmitMeters(ctx, c.Principal.Tenant, in)
			if err != nil {
				return nil, err
			}
			return &novotelecomws.SubmitMetersResponse{Return_: registryOut(r)}, nil
		}, ruleMeters),

		"RunExchange": soap.Op(func(ctx context.Context, c *soap.Call, _ *novotelecomws.RunExchange) (*novotelecomws.RunExchangeResponse, error) {
			s, err := svc.RunExchange(ctx, c.Principal.Tenant, time.Time{})
			if err != nil && s.ID == "" {
				return nil, err // no session: not configured, another exchange under way, …
			}
			// A session stopped by the server is an answer: its counts, and why it stopped.
			return &novotelecomws.RunExchangeResponse{Return_: sessionOut(s)}, nil
		}),

		"GetPendingRegistries": soap.Op(func(ctx context.Context, c *soap.Call, req *novotelecomws.GetPendingRegistries) (*novotelecomws.GetPendingRegistriesResponse, error) {
			p, err := svc.Pending(ctx, c.Principal.Tenant, listIn(req.Cursor, req.Limit))
			if err != nil {
				return nil, err
			}
			out := &novotelecomws.RegistryList{Item: make([]*novotelecomws.Registry, 0, len(p.Items))}
			for _, r := range p.Items {
				out.Item = append(out.Item, registryOut(r))
			}
			return &novotelecomws.GetPendingRegistriesResponse{Return_: out, Next: p.Next}, nil
		}, rulePending),

		"AcceptRegistry": soap.Op(func(ctx context.Context, c *soap.Call, req *novotelecomws.AcceptRegistry) (*novotelecomws.AcceptRegistryResponse, error) {
			d, err := svc.Accept(ctx, c.Principal.Tenant, novotelecom.AcceptRequest{RegistryID: req.Id})
			if err != nil {
				return nil, err
			}
			return &novotelecomws.AcceptRegistryResponse{Return_: documentOut(d)}, nil
		}, ruleAccept),

		"GetErrors": soap.Op(func(ctx context.Context, c *soap.Call, req *novotelecomws.GetErrors) (*novotelecomws.GetErrorsResponse, error) {
			p, err := svc.Errors(ctx, c.Principal.Tenant, listIn(req.Cursor, req.Limit))
			if err != nil {
				return nil, err
			}
			out := &novotelecomws.ErrorList{Item: make([]*novotelecomws.ErrorEntry, 0, len(p.Items))}
			for _, e := range p.Items {
				out.Item = append(out.Item, &novotelecomws.ErrorEntry{Id: e.ID, Time: xsd.At(e.At), File: e.File,
					RegistryId: e.RegistryID, Direction: string(e.Direction), Line: clamp(e.Line), Message: e.Message, Text: e.Text})
			}
			return &novotelecomws.GetErrorsResponse{Return_: out, Next: p.Next}, nil
		}, ruleErrors),

		"GetRegistryFile": soap.Op(func(ctx context.Context, c *soap.Call, req *novotelecomws.GetRegistryFile) (*novotelecomws.GetRegistryFileResponse, error) {
			r, err := svc.Registry(ctx, c.Principal.Tenant, req.Id)
			if err != nil {
				return nil, err
			}
			if r.Size > MaxFileContent {
				return nil, apperr.New(apperr.TooLarge, "NOVOTELECOM_FILE_TOO_LARGE",
					"Файл "+r.File+" больше 4 МБ и через веб-сервис не выдаётся: его строки доступны в OData, InformationRegister_NovotelecomRegistryLines")
			}
			name, data, err := svc.Content(ctx, c.Principal.Tenant, req.Id)
			if err != nil {
				return nil, err
			}
			return &novotelecomws.GetRegistryFileResponse{Return_: &novotelecomws.RegistryFile{Id: r.ID, File: name,
				Charset: string(r.Charset), Size: clamp(int64(len(data))), Content: data}}, nil
		}, ruleFile),
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func codes(code, city, sber *string) novotelecom.ServiceCodes {
	return novotelecom.ServiceCodes{Code: deref(code), City: deref(city), Sber: deref(sber)}
}

// periodIn is the billed month of a date 1C sends (any day of the month, usually its first);
// the empty date gives no month, which the domain refuses with NOVOTELECOM_PERIOD.
func periodIn(d xsd.DateTime, loc *time.Location) registry.Period {
	if d.IsZero() {
		return registry.Period{}
	}
	return registry.PeriodOf(d.In(loc))
}

func listIn(cursor *string, limit *int32) novotelecom.ListRequest {
	r := novotelecom.ListRequest{Cursor: deref(cursor)}
	if limit != nil {
		r.Limit = int(*limit)
	}
	return r
}

// clamp fits a count into xs:int; registries are far below its limit (64 MiB files).
func clamp(n int64) int32 {
	return int32(max(math.MinInt32, min(n, math.MaxInt32)))
}

// civil is a registry's calendar date as 1C's date at midnight; the zero time is the empty date.
func civil(t time.Time) xsd.DateTime { return xsd.Wall(t) }

// month is the billed month as its first day, or the empty date.
func month(p registry.Period) xsd.DateTime {
	if p.IsZero() {
		return xsd.DateTime{}
	}
	return xsd.Wall(p.First())
}

// CodingName is the seed's name of a service coding.
func CodingName(c novotelecom.Coding) string {
	switch c {
	case novotelecom.CodingAccount:
		return "в целом по л/с"
	case novotelecom.CodingCity:
		return "по кодам «Города»"
	case novotelecom.CodingSber:
		return "по кодам Сбербанка"
	case novotelecom.CodingZhku:
		return "по кодам ЖКУ"
	}
	return string(c)
}

// KindName is a registry kind's name for 1C users.
func KindName(k registry.Kind) string {
	switch k {
	case registry.Services:
		return "Услуги"
	case registry.Debts:
		return "Задолженность"
	case registry.Meters:
		return "Счётчики"
	case registry.Payments:
		return "Оплаты"
	case registry.Readings:
		return "Показания"
	case registry.Answer:
		return "Ответ Новотелекома"
	case registry.Confirm:
		return "Подтверждение приёма"
	case registry.Reject:
		return "Отказ"
	}
	return string(k)
}

// StateName is a session state's name for 1C users.
func StateName(s novotelecom.SessionState) string {
	switch s {
	case novotelecom.SessionRunning:
		return "выполняется"
	case novotelecom.SessionDone:
		return "завершён"
	case novotelecom.SessionFailed:
		return "не завершён"
	}
	return string(s)
}

func settingsOut(st novotelecom.Settings) *novotelecomws.Settings {
	return &novotelecomws.Settings{Configured: true, Coding: string(st.Coding), CodingName: CodingName(st.Coding),
		LoginSet: st.LoginSet, PasswordSet: st.PasswordSet, ReportDetails: st.ReportDetails,
		ExchangeEvery: int32(st.ExchangeEvery), Charset: string(st.Charset), Updated: xsd.At(st.Updated)}
}

func registryOut(r novotelecom.Registry) *novotelecomws.Registry {
	return &novotelecomws.Registry{Id: r.ID, File: r.File, Direction: string(r.Direction), Kind: string(r.Kind),
		KindName: KindName(r.Kind), Folder: string(r.Folder), FolderName: r.Folder.Title(), Number: int32(r.Number),
		Date: civil(r.Date), Period: month(r.Period), Count: clamp(r.Count), Sum: r.Sum, Charset: string(r.Charset),
		Ref: r.Ref, Size: clamp(r.Size), Created: xsd.At(r.Created), Sent: xsd.At(r.Sent), Received: xsd.At(r.Received),
		Session: r.Session, Diagnostic: r.Diagnostic, Reply: r.Reply, Errors: &novotelecomws.StringList{Item: r.Errors},
		Accepted: xsd.At(r.Accepted), DocumentId: r.Document}
}

func documentOut(d novotelecom.Document) *novotelecomws.Document {
	return &novotelecomws.Document{Id: d.ID, Type: string(d.Type), Title: d.Title, RegistryId: d.RegistryID, File: d.File,
		Number: int32(d.Number), Date: civil(d.Date), Period: month(d.Period), Count: clamp(d.Count), Sum: d.Sum,
		Comment: d.Comment, Confirmation: d.Confirmation, Accepted: xsd.At(d.Accepted)}
}

func sessionOut(s novotelecom.Session) *novotelecomws.ExchangeSession {
	return &novotelecomws.ExchangeSession{Id: s.ID, Slot: xsd.At(s.Slot), Manual: s.Manual, State: string(s.State),
		StateName: StateName(s.State), Started: xsd.At(s.Started), Finished: xsd.At(s.Finished), Attempts: int32(s.Attempts),
		Sent: int32(s.Sent), Received: int32(s.Received), Duplicates: int32(s.Duplicates), Awaiting: int32(s.Awaiting),
		Rejected: int32(s.Rejected), Answers: int32(s.Answers), Errors: int32(s.Errors), ErrorCode: s.ErrorCode,
		Error: s.Error, Message: s.Message, Details: &novotelecomws.StringList{Item: s.Details}}
}
