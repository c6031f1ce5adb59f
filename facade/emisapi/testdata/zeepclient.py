"""Independent-client check of the Emis service with Debian's python3-zeep: loads the WSDL from
the running hub with Basic auth (a Cyrillic user name, UTF-8), calls every operation through
the SOAP 1.1 and the SOAP 1.2 port, parses the faults, and prints JSON for the Go test.

Usage: /usr/bin/python3 zeepclient.py BASE_URL USER PASSWORD LEGAL_ENTITY PERSON UNSAVED_PERSON
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


def run(base, session, v12, legal, person, unsaved):
    client = Client(base + "/ws/Emis?wsdl", transport=Transport(session=session))
    e = client.bind("Emis", "EmisSoap12" if v12 else "EmisSoap")
    out = {}
    out["legal"] = [{"Ref": i.Ref, "Code": i.Code, "Description": i.Description, "NamesScript": i.NamesScript}
                    for i in items(e.GetLegalEntities())]
    out["saved"] = e.SaveGuest(PersonId=person, BookingId="473024", Surname="HUBER")
    out["started"] = e.StartDocuments(LegalEntity=legal, PersonId=person, BookingId="473024")
    out["unsaved"] = fault(lambda: e.StartDocuments(LegalEntity=legal, PersonId=unsaved))
    d = e.GetDocuments(LegalEntity=legal, PersonId=person)
    stay = items(d.StayDocuments)
    out["docs"] = {
        "PersonId": d.PersonId, "Version": d.Version, "Surname": d.Surname, "Number": d.Identity.Number,
        "BirthDate": text(d.Identity.BirthDate), "Nationality": d.Identity.Nationality,
        "StayCount": len(stay), "Stay0Selected": stay[0].Selected, "Stay0ValidTo": text(stay[0].ValidTo),
        "MigrationCard": d.MigrationCard.Number if d.MigrationCard is not None else None,
        "Purpose": d.Visit.PurposeName,
        "Warnings": ",".join(w.Code for w in items(d.Warnings)),
    }
    out["configured"] = e.Configure(RetentionHours=48).RetentionHours
    s = e.GetSettings()
    out["settings"] = {"RetentionHours": s.RetentionHours, "EmisSecretSet": s.EmisSecretSet,
                       "PMSHookURL": s.PMSHookURL, "PMSWebhookURL": s.PMSWebhookURL}
    out["dead"] = len(items(e.ListDeadLetters()))
    out["redeliver"] = fault(lambda: e.Redeliver(Id="d-unknown"))
    return out


def main():
    base, user, password, legal, person, unsaved = sys.argv[1:7]
    session = Session()
    session.auth = HTTPBasicAuth(user.encode("utf-8"), password.encode("utf-8"))
    res = {v: run(base, session, v == "soap12", legal, person, unsaved) for v in ("soap11", "soap12")}
    print(json.dumps(res, ensure_ascii=False))


if __name__ == "__main__":
    main()
