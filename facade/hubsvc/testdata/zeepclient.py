"""Independent-client check of the Hub service's retention operations with Debian's
python3-zeep: loads the WSDL from the running facade with Basic auth (Cyrillic user names),
calls every operation through both bindings, parses the faults, and prints JSON for the Go
test (facade/hubsvc/retention_test.go) to check.

Usage: /usr/bin/python3 zeepclient.py BASE_URL ADMIN DESK PASSWORD
"""
import json
import sys

from requests import Session
from requests.auth import HTTPBasicAuth
from zeep import Client
from zeep.exceptions import Fault
from zeep.transports import Transport

HUB = "{http://stykovka.ru/hub}"


def session(user, password):
    s = Session()
    # bytes, so that requests sends the Cyrillic name as UTF-8 rather than failing on latin-1
    s.auth = HTTPBasicAuth(user.encode("utf-8"), password.encode("utf-8"))
    return s


def retention(r):
    return {k: r[k] for k in ("Hours", "DefaultHours", "MinHours", "MaxHours", "Profile", "PersonalDataAllowed")}


def fault(call):
    try:
        call()
        return {"error": "no fault"}
    except Fault as f:
        err = f.detail.find(HUB + "Error") if f.detail is not None else None
        return {
            "code": f.code,
            "detailCode": err.findtext(HUB + "Code") if err is not None else None,
            "detailMessage": err.findtext(HUB + "Message") if err is not None else None,
        }


def items(v):
    if v is None:
        return []
    return v if isinstance(v, list) else v.Item


def run(base, admin, desk, v12):
    port = "HubSoap12" if v12 else "HubSoap"
    a = Client(base + "/ws/Hub?wsdl", transport=Transport(session=session(*admin))).bind("Hub", port)
    d = Client(base + "/ws/Hub?wsdl", transport=Transport(session=session(*desk))).bind("Hub", port)
    out = {}
    out["ping"] = a.Ping()
    out["versions"] = [{"Service": i.Service, "Version": i.Version} for i in items(a.GetVersions())]
    out["before"] = retention(a.GetRetention())
    out["set"] = retention(a.SetRetention(Hours=36))
    out["after"] = retention(a.GetRetention())
    out["reset"] = retention(a.SetRetention(Hours=0))
    out["deskReads"] = retention(d.GetRetention())
    out["deskFault"] = fault(lambda: d.SetRetention(Hours=24))
    out["rangeFault"] = fault(lambda: a.SetRetention(Hours=100000))
    return out


def main():
    base, admin, desk, password = sys.argv[1:5]
    print(json.dumps({
        "soap11": run(base, (admin, password), (desk, password), False),
        "soap12": run(base, (admin, password), (desk, password), True),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
