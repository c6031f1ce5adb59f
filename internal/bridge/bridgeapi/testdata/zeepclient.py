"""Independent-client check of the Bridge service with Debian's python3-zeep: loads the WSDL
from the running hub with Basic auth (a Cyrillic user name, UTF-8), calls every operation
through the SOAP 1.1 and the SOAP 1.2 port, parses the faults, and prints JSON for the Go test.

Usage: /usr/bin/python3 zeepclient.py BASE_URL USER PASSWORD LEGAL_ENTITY PERSON
"""
import datetime
import json
import sys

from requests import Session
from requests.auth import HTTPBasicAuth
from zeep import Client
from zeep.exceptions import Fault
from zeep.transports import Transport

HUB = "{http://stykovka.ru/hub}"


def text(v):
    return v.isoformat() if isinstance(v, datetime.datetime) else v


def items(v):
    if v is None:
        return []
    return v if isinstance(v, list) else (v.Item or [])


def fault(call):
    try:
        call()
        return {"error": "no fault"}
    except Fault as f:
        err = f.detail.find(HUB + "Error") if f.detail is not None else None
        return {"code": f.code, "detailCode": err.findtext(HUB + "Code") if err is not None else None}


def run(base, session, v12, legal, person):
    client = Client(base + "/ws/Bridge?wsdl", transport=Transport(session=session))
    b = client.bind("Bridge", "BridgeSoap12" if v12 else "BridgeSoap")
    out = {}
    en = b.EnrollDevice(Name="Стойка SOAP 1.2" if v12 else "Стойка SOAP 1.1")
    out["enrolled"] = {"id": en.Device.DeviceId, "name": en.Device.Name, "revoked": en.Device.Revoked,
                       "secretLen": len(en.Secret), "url": en.UploadURL, "tenant": en.Tenant}
    out["devices"] = [d.DeviceId for d in items(b.ListDevices())]
    d = b.GetScannedDocuments(LegalEntity=legal, PersonId=person)
    out["docs"] = {
        "PersonId": d.PersonId, "Version": d.Version, "Surname": d.Surname, "NamesScript": d.NamesScript,
        "TypeCode": d.Identity.TypeCode, "Number": d.Identity.Number, "BirthDate": text(d.Identity.BirthDate),
        "DocumentName": d.Identity.DocumentName,
        "Stay": ",".join(s.Number + ":" + s.Entries + ":" + text(s.ValidTo) for s in items(d.StayDocuments)),
        "Purpose": d.VisitPurposeName,
        "Warnings": ",".join(w.Code for w in items(d.Warnings)),
        "Disagreements": ",".join(x.Field + ":" + x.Source + ">" + x.OtherSource for x in items(d.Disagreements)),
    }
    r = b.RevokeDevice(DeviceId=en.Device.DeviceId)
    out["revoked"] = {"id": r.DeviceId, "revoked": r.Revoked}
    out["unknownDevice"] = fault(lambda: b.RevokeDevice(DeviceId="dev-unknown"))
    out["noDocuments"] = fault(lambda: b.GetScannedDocuments(LegalEntity=legal, PersonId="999999"))
    return out


def main():
    base, user, password, legal, person = sys.argv[1:6]
    session = Session()
    session.auth = HTTPBasicAuth(user.encode("utf-8"), password.encode("utf-8"))
    res = {v: run(base, session, v == "soap12", legal, person) for v in ("soap11", "soap12")}
    print(json.dumps(res, ensure_ascii=False))


if __name__ == "__main__":
    main()
