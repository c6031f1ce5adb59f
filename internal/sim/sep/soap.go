package sepsim

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

const (
	soapEnvNS   = "http://schemas.xmlsoap.org/soap/envelope/"
	maxBodySize = 2 << 20
)

// Handler returns the simulator's HTTP handler: the SOAP service at Path (POST), its WSDL
// (GET Path?wsdl), and the admin endpoints /admin/faults (GET, PUT JSON) and /admin/outbox
// (GET: the letters, without their bodies) and /admin/outbox/<id> (GET: one raw letter).
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(Path, s.serveSOAP)
	mux.HandleFunc("/admin/faults", s.serveFaults)
	mux.HandleFunc("/admin/outbox", s.serveOutbox)
	mux.HandleFunc("/admin/outbox/", s.serveLetter)
	return mux
}

// Listen serves the simulator on addr (e.g. "127.0.0.1:0") until ctx is done, and returns
// the service URL.
func (s *Sim) Listen(ctx context.Context, addr string) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return "http://" + l.Addr().String() + Path, nil
}

type reqEnvelope struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Body    struct {
		Send *sendRequest `xml:"urn:sep-sim:v1 SendRequest"`
		Get  *getResult   `xml:"urn:sep-sim:v1 GetResult"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

type sendRequest struct {
	RequestType     string `xml:"RequestType"`
	ClientRequestID string `xml:"ClientRequestId"`
	SenderINN       string `xml:"SenderInn"`
	SenderOGRN      string `xml:"SenderOgrn"`
	Payload         string `xml:"Payload"`
	Signature       string `xml:"Signature"`
}

type getResult struct {
	QueueID string `xml:"QueueId"`
}

type sendResponse struct {
	XMLName xml.Name `xml:"urn:sep-sim:v1 SendRequestResponse"`
	QueueID string   `xml:"QueueId"`
}

type resultResponse struct {
	XMLName xml.Name    `xml:"urn:sep-sim:v1 GetResultResponse"`
	State   string      `xml:"State"`
	Result  string      `xml:"Result,omitempty"`
	Errors  *errorsList `xml:"Errors,omitempty"`
}

type errorsList struct {
	Error []sepError `xml:"Error"`
}

// fault is a SOAP 1.1 Fault with SEP's error in the detail.
type fault struct {
	server  bool
	code    string
	message string
}

func (f *fault) Error() string { return f.code + ": " + f.message }

func clientFault(code, msg string) *fault { return &fault{code: code, message: msg} }

func (s *Sim) serveSOAP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		if _, ok := r.URL.Query()["wsdl"]; ok || strings.EqualFold(r.URL.RawQuery, "wsdl") {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			io.WriteString(w, WSDL(serviceURL(r)))
			return
		}
		http.Error(w, "use POST, or GET ?wsdl", http.StatusMethodNotAllowed)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodySize))
	if err != nil {
		writeFault(w, clientFault("REQUEST_TOO_LARGE", "Запрос слишком велик"))
		return
	}
	f := s.Faults()
	if f.Slow > 0 {
		select {
		case <-time.After(f.Slow):
		case <-r.Context().Done():
			return
		}
	}
	var env reqEnvelope
	if err := xml.Unmarshal(body, &env); err != nil || (env.Body.Send == nil && env.Body.Get == nil) {
		writeFault(w, clientFault("XML_READ_ERROR", "Не удалось прочитать SOAP-запрос"))
		return
	}
	var resp any
	switch {
	case env.Body.Send != nil:
		resp, err = s.send(env.Body.Send, f)
	default:
		resp, err = s.getResult(env.Body.Get, f)
	}
	var fl *fault
	if errors.As(err, &fl) {
		writeFault(w, fl)
		return
	}
	if err != nil {
		writeFault(w, &fault{server: true, code: "INTERNAL", message: err.Error()})
		return
	}
	out := envelopeOf(resp)
	if f.MalformedXML {
		out = out[:len(out)/2]
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Write(out)
}

func serviceURL(r *http.Request) string {
	return "http://" + r.Host + Path
}

func envelopeOf(body any) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<soap:Envelope xmlns:soap="` + soapEnvNS + `"><soap:Body>`)
	if err := xml.NewEncoder(&b).Encode(body); err != nil {
		panic(err) // our own response types always encode
	}
	b.WriteString(`</soap:Body></soap:Envelope>`)
	return b.Bytes()
}

func writeFault(w http.ResponseWriter, f *fault) {
	code := "soap:Client"
	if f.server {
		code = "soap:Server"
	}
	type detail struct {
		XMLName xml.Name `xml:"urn:sep-sim:v1 SepFault"`
		Code    string   `xml:"Code"`
		Message string   `xml:"Message"`
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<soap:Envelope xmlns:soap="` + soapEnvNS + `"><soap:Body><soap:Fault><faultcode>` + code +
		`</faultcode><faultstring>`)
	xml.EscapeText(&b, []byte(f.message))
	b.WriteString(`</faultstring><detail>`)
	_ = xml.NewEncoder(&b).Encode(detail{Code: f.code, Message: f.message})
	b.WriteString(`</detail></soap:Fault></soap:Body></soap:Envelope>`)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	w.Write(b.Bytes())
}

var requestTypes = map[string]bool{
	"GetApplications": true, "GetApplication": true, "ConfirmApplication": true, "CreateLeaseApplication": true,
}

func (s *Sim) send(req *sendRequest, f Faults) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now().UTC()
	call := Call{Op: "SendRequest", Time: now, ClientRequestID: req.ClientRequestID,
		RequestType: req.RequestType, SenderINN: req.SenderINN}
	id, err := s.accept(req, f, now)
	call.QueueID = id
	switch {
	case err != nil:
		call.Answer = "Fault:" + faultCode(err)
	case f.MalformedXML:
		call.Answer = "Malformed"
	default:
		call.Answer = "QueueId"
	}
	s.record(call)
	if err != nil {
		return nil, err
	}
	return sendResponse{QueueID: id}, nil
}

func faultCode(err error) string {
	var f *fault
	if errors.As(err, &f) {
		return f.code
	}
	return "INTERNAL"
}

func (s *Sim) accept(req *sendRequest, f Faults, now time.Time) (string, error) {
	if f.RequestErrors {
		return "", &fault{server: true, code: "SERVICE_UNAVAILABLE", message: "Сервис временно недоступен"}
	}
	if !requestTypes[req.RequestType] {
		return "", clientFault("REQUEST_TYPE_UNKNOWN", "Неизвестный тип запроса")
	}
	if req.ClientRequestID == "" || len(req.ClientRequestID) > 64 {
		return "", clientFault("CLIENT_ID_INVALID", "Идентификатор запроса клиента пуст или длиннее 64 символов")
	}
	p := s.participants[req.SenderINN]
	if p == nil || p.OGRN != req.SenderOGRN {
		return "", clientFault("SENDER_UNKNOWN", "Отправитель не зарегистрирован в СЭП")
	}
	payload, err1 := base64.StdEncoding.DecodeString(strings.TrimSpace(req.Payload))
	sig, err2 := base64.StdEncoding.DecodeString(strings.TrimSpace(req.Signature))
	if err1 != nil || err2 != nil || len(payload) == 0 {
		return "", clientFault("XML_READ_ERROR", "Вложение или подпись не в base64")
	}
	if len(p.PublicKey) != ed25519.PublicKeySize || !ed25519.Verify(p.PublicKey, payload, sig) {
		return "", clientFault("SIGNATURE_INVALID", "Электронная подпись не прошла проверку")
	}
	if err := checkPayload(req.RequestType, payload); err != nil {
		return "", clientFault("XML_READ_ERROR", "Не удалось прочитать XML вложения: "+err.Error())
	}
	key := req.SenderINN + "\x00" + req.ClientRequestID
	if id, ok := s.byClient[key]; ok {
		// A repeat of the same request (the client lost our answer) gets the same number.
		if q := s.queue[id]; q != nil && sha256.Sum256(q.payload) != sha256.Sum256(payload) {
			return "", clientFault("CLIENT_ID_REUSED", "Идентификатор запроса уже использован для другого запроса")
		}
		return id, nil
	}
	s.seq++
	id := fmt.Sprintf("%s-%08d", s.prefix, s.seq)
	s.queue[id] = &queued{id: id, received: now, reqType: req.RequestType, clientID: req.ClientRequestID,
		sender: req.SenderINN, payload: payload}
	s.byClient[key] = id
	return id, nil
}

func (s *Sim) getResult(req *getResult, f Faults) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now().UTC()
	call := Call{Op: "GetResult", Time: now, QueueID: req.QueueID}
	resp, err := s.result(req.QueueID, f, now, &call)
	switch {
	case err != nil:
		call.Answer = "Fault:" + faultCode(err)
	case f.MalformedXML:
		call.Answer = "Malformed"
	default:
		call.Answer = resp.State
	}
	s.record(call)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func (s *Sim) result(id string, f Faults, now time.Time, call *Call) (resultResponse, error) {
	if f.RequestErrors {
		return resultResponse{}, &fault{server: true, code: "SERVICE_UNAVAILABLE", message: "Сервис временно недоступен"}
	}
	q := s.queue[id]
	if q == nil || f.LoseResults {
		return resultResponse{}, clientFault("QUEUE_NOT_FOUND", "Номер очереди не найден")
	}
	call.ClientRequestID, call.RequestType, call.SenderINN = q.clientID, q.reqType, q.sender
	call.SinceQueued = now.Sub(q.received)
	switch {
	case call.SinceQueued < s.minDelay:
		s.log.Warn("sepsim: GetResult before the minimum delay", "queue", id, "since", call.SinceQueued)
		return resultResponse{State: StateTooEarly}, nil
	case call.SinceQueued < s.minDelay+s.procTime:
		return resultResponse{State: StateInProcess}, nil
	}
	if !q.processed {
		s.process(q, now)
	}
	resp := resultResponse{State: q.state}
	if len(q.result) > 0 {
		resp.Result = base64.StdEncoding.EncodeToString(q.result)
	}
	if len(q.errors) > 0 {
		resp.Errors = &errorsList{Error: q.errors}
	}
	return resp, nil
}

func (s *Sim) serveFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPut, http.MethodPost:
		var f Faults
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&f); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.SetFaults(f)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s.Faults())
}

func (s *Sim) serveOutbox(w http.ResponseWriter, r *http.Request) {
	type item struct {
		ID      string    `json:"id"`
		Time    time.Time `json:"time"`
		To      string    `json:"to"`
		Subject string    `json:"subject"`
	}
	var out []item
	for _, l := range s.Outbox() {
		out = append(out, item{l.ID, l.Time, l.To, l.Subject})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func (s *Sim) serveLetter(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/admin/outbox/"), ".eml")
	for _, l := range s.Outbox() {
		if l.ID == id {
			w.Header().Set("Content-Type", "message/rfc822")
			w.Write(l.Raw)
			return
		}
	}
	http.NotFound(w, r)
}
