"""Independent-client check of the Novotelecom service with Debian's python3-zeep: loads the
WSDL from the running hub with Basic auth (a Cyrillic user name, UTF-8), plays the seed's cycle
through every operation — the SOAP 1.1 port as one housing company, the SOAP 1.2 port as
another — parses the faults, and prints JSON for the Go test.

Usage: /usr/bin/python3 zeepclient.py BASE_URL USER11 PASS11 LOGIN11 SECRET11 USER12 PASS12 LOGIN12 SECRET12
"""
import datetime
import decimal
import json
import sys

from requests import Session
from requests.auth import HTTPBasicAuth
from zeep import Client
from zeep.exceptions import Fault
from zeep.transports import Transport

HUB = "{http://stykovka.ru/hub}"


def plain(v):
    if isinstance(v, datetime.datetime):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return str(v)
    return v


def items(v):
    """zeep flattens a list wrapper (one unbounded item element) into a Python list."""
    if v is None:
        return []
    return v if isinstance(v, list) else (v.Item or [])


def fault(call):
    try:
        call()
        return {"error": "no fault"}
    except Fault as f:
        err = f.detail.find(HUB + "Error") if f.detail is not None else None
        return {
            "code": f.code, "message": f.message,
            "detailCode": err.findtext(HUB + "Code") if err is not None else None,
        }


def registry(r):
    return {k: plain(getattr(r, k)) for k in ("Id", "File", "Kind", "Folder", "Number", "Date", "Period", "Count", "Sum")}


def run(base, session, v12, login, secret):
    client = Client(base + "/ws/Novotelecom?wsdl", transport=Transport(session=session))
    n = client.bind("Novotelecom", "NovotelecomSoap12" if v12 else "NovotelecomSoap")
    out = {}
    out["before"] = n.GetSettings().Configured
    s = n.SaveSettings(Coding="city", Login=login, Password=secret, ReportDetails=True, ExchangeEvery=60)
    out["settings"] = {k: plain(getattr(s, k)) for k in ("Configured", "Coding", "CodingName", "LoginSet", "PasswordSet",
                                                          "ReportDetails", "ExchangeEvery", "Charset", "Updated")}
    out["services"] = registry(n.SubmitServices(RequestId="services-1", Services={"Item": [
        {"Code": "1", "CityCode": "101", "SberCode": "S1", "Name": "Содержание жилья"},
        {"Code": "2", "CityCode": "102", "SberCode": "S2", "Name": "Вывоз ТКО"},
    ]}))
    D = decimal.Decimal
    debts = n.SubmitDebts(RequestId="debts-1", Period=datetime.datetime(2018, 5, 1), Lines={"Item": [
        {"Account": "8032001", "Address": "г. Новосибирск, ул. Ленина, 1-1", "CityCode": "101", "Amount": D("1200.00")},
        {"Account": "8032001", "Address": "г. Новосибирск, ул. Ленина, 1-1", "CityCode": "102", "Amount": D("510.40")},
        {"Account": "8032002", "CityCode": "101", "Amount": D("55.00")},
        {"Account": "8032003", "CityCode": "101", "Amount": D("-20.00")},
    ]})
    out["debts"] = registry(debts)
    out["meters"] = registry(n.SubmitMeters(RequestId="meters-1", Period=datetime.datetime(2018, 5, 15), Lines={"Item": [
        {"Account": "8032001", "Address": "г. Новосибирск, ул. Ленина, 1-1", "Meter": "118843", "CityCode": "201", "Value": D("345.120")},
    ]}))
    x = n.RunExchange()
    out["session"] = {k: plain(getattr(x, k)) for k in ("State", "StateName", "Manual", "Sent", "Received", "Awaiting",
                                                         "Rejected", "Answers", "Errors", "ErrorCode", "Message", "Started")}
    out["session"]["Details"] = len(items(x.Details))
    errs = items(n.GetErrors(Limit=10)["return"])
    out["errors"] = [{k: plain(getattr(e, k)) for k in ("File", "Line", "Message", "Direction")} for e in errs]
    first = n.GetPendingRegistries(Limit=1)
    rest = n.GetPendingRegistries(Cursor=first.Next, Limit=10)
    pending = items(first["return"]) + items(rest["return"])
    out["pending"] = [registry(r) for r in pending]
    out["pendingNext"] = bool(first.Next) and not rest.Next
    d = n.AcceptRegistry(Id=pending[0].Id)
    out["document"] = {k: plain(getattr(d, k)) for k in ("Type", "Title", "File", "Number", "Date", "Count", "Sum",
                                                          "Comment", "Confirmation")}
    out["again"] = fault(lambda: n.AcceptRegistry(Id=pending[0].Id))
    f = n.GetRegistryFile(Id=debts.Id)
    out["file"] = {"File": f.File, "Charset": f.Charset, "Size": f.Size,
                   "Header": f.Content.decode("cp1251").split("\r\n")[0]}
    return out


def main():
    base = sys.argv[1]
    res = {}
    for v, (user, password, login, secret) in (("soap11", sys.argv[2:6]), ("soap12", sys.argv[6:10])):
        session = Session()
        session.auth = HTTPBasicAuth(user.encode("utf-8"), password.encode("utf-8"))
        res[v] = run(base, session, v == "soap12", login, secret)
    print(json.dumps(res, ensure_ascii=False))


if __name__ == "__main__":
    main()
