# Generates the sample results of this folder (invented people; MRZ check digits computed).
# Run: python3 gen_samples.py (from this folder). The Go tests read the JSON files only.
import json, base64, os, uuid

OUT = os.path.dirname(os.path.abspath(__file__))

def cd(s):
    w = [7,3,1]; t = 0
    for i,ch in enumerate(s):
        if ch.isdigit(): v = int(ch)
        elif ch.isalpha(): v = ord(ch)-55
        else: v = 0
        t += v*w[i%3]
    return str(t%10)

def td3(doc, state, surname, given, number, nat, dob, sex, exp, optional=""):
    l1 = (doc.ljust(2,'<') + state.ljust(3,'<') + surname.replace(' ','<') + '<<' + given.replace(' ','<')).ljust(44,'<')[:44]
    num = number.ljust(9,'<')
    opt = optional.ljust(14,'<')
    l2 = num + cd(num) + nat.ljust(3,'<') + dob + cd(dob) + sex + exp + cd(exp) + opt + cd(opt)
    comp = num + cd(num) + dob + cd(dob) + exp + cd(exp) + opt + cd(opt)
    l2 = l2 + cd(comp)
    assert len(l1)==44 and len(l2)==44, (l1,l2)
    return [l1,l2]

def td1(doc, state, number, optional1, dob, sex, exp, nat, optional2, surname, given):
    num = number.ljust(9,'<')
    o1 = optional1.ljust(15,'<')
    l1 = doc.ljust(2,'<') + state + num + cd(num) + o1
    o2 = optional2.ljust(11,'<')
    l2 = dob + cd(dob) + sex + exp + cd(exp) + nat.ljust(3,'<') + o2
    comp = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
    l2 = l2 + cd(comp)
    l3 = (surname.replace(' ','<') + '<<' + given.replace(' ','<')).ljust(30,'<')[:30]
    assert len(l1)==30 and len(l2)==30 and len(l3)==30, (l1,l2,l3)
    return [l1,l2,l3]

def mrv_a(state, surname, given, number, nat, dob, sex, exp, optional=""):
    l1 = ('V<' + state + surname.replace(' ','<') + '<<' + given.replace(' ','<')).ljust(44,'<')[:44]
    num = number.ljust(9,'<')
    l2 = num + cd(num) + nat + dob + cd(dob) + sex + exp + cd(exp) + optional.ljust(16,'<')
    assert len(l1)==44 and len(l2)==44, (l1,l2)
    return [l1,l2]

def fld(ftype, name, vals, lcid=0, cmp=None, validity=None, value=None):
    """vals: list of (source, value[, original])"""
    valueList = []
    for v in vals:
        src, val = v[0], v[1]
        item = {"source": src, "value": val, "pageIndex": 0, "probability": 99 if src=="RFID" else (97 if src=="MRZ" else 93)}
        if len(v) > 2:
            item["originalValue"] = v[2]
        if src != "RFID":
            item["fieldRect"] = {"left": 120, "top": 400, "right": 620, "bottom": 440}
            item["originalSymbols"] = [{"code": ord(c), "probability": 95, "rect": {"left":0,"top":0,"right":10,"bottom":20}} for c in val[:3]]
        else:
            item["rfidOrigin"] = {"dg": 1, "dgTag": 0, "tagEntry": 0, "entryView": 0}
        valueList.append(item)
    sources = []
    for v in vals:
        if v[0] not in sources: sources.append(v[0])
    validityList = [{"source": s, "status": (validity or {}).get(s, 1)} for s in sources]
    comparisonList = []
    cmp = cmp or {}
    for i in range(len(sources)):
        for j in range(i+1, len(sources)):
            a, b = sources[i], sources[j]
            st = cmp.get((a,b), cmp.get((b,a), 1))
            comparisonList.append({"sourceLeft": a, "sourceRight": b, "status": st})
    vstat = 0 if any(x["status"]==0 for x in validityList) else 1
    cstat = 0 if any(x["status"]==0 for x in comparisonList) else (1 if comparisonList else 2)
    if value is None:
        # the reader's "most confident" value: RFID first, else MRZ, else VISUAL
        order = {"RFID":0,"MRZ":1,"VISUAL":2}
        value = sorted(vals, key=lambda v: order.get(v[0],3))[0][1]
    return {"fieldType": ftype, "fieldName": name, "lcid": lcid, "lcidName": "Latin" if lcid==0 else ("Russian" if lcid==1049 else "Kazakh"),
            "status": 0 if (vstat==0 or cstat==0) else 1, "validityStatus": vstat, "comparisonStatus": cstat,
            "value": value, "valueList": valueList, "validityList": validityList, "comparisonList": comparisonList}

def text_container(fields, sources):
    vstat = 0 if any(f["validityStatus"]==0 for f in fields) else 1
    cstat = 0 if any(f["comparisonStatus"]==0 for f in fields) else 1
    return {"buf_length": 0, "light": 0, "list_idx": 0, "page_idx": 0, "result_type": 36,
            "Text": {"status": 0 if (vstat==0 or cstat==0) else 1, "validityStatus": vstat, "comparisonStatus": cstat,
                     "availableSourceList": [{"source": s, "validityStatus": 1, "containerType": {"MRZ":3,"VISUAL":17,"RFID":102}.get(s,0)} for s in sources],
                     "fieldList": fields}}

def status_container(overall=1, optical=1, rfid=1, portrait=2, stoplist=2, det_opt=None, det_rfid=None, pages=1):
    d_opt = {"overallStatus": optical, "docType": 1, "expiry": 1, "imageQA": 1, "mrz": 1, "pagesCount": pages, "security": 1, "text": 1, "vds": 2}
    d_opt.update(det_opt or {})
    d_rfid = {"overallStatus": rfid, "AA": 2, "BAC": 2, "CA": 1, "PA": 1, "PACE": 1, "TA": 2}
    d_rfid.update(det_rfid or {})
    return {"buf_length": 0, "light": 0, "list_idx": 0, "page_idx": 0, "result_type": 33,
            "Status": {"overallStatus": overall, "optical": optical, "portrait": portrait, "rfid": rfid, "stopList": stoplist,
                       "detailsOptical": d_opt, "detailsRFID": d_rfid, "age": 2, "detailsAge": {"threshold": 18, "overThreshold": 2, "over18": 2, "over21": 2, "over25": 2, "over65": 2}, "mDL": 2}}

def doctype(name, id_, icao, dtype, dformat, mrz, desc, year, country, rfid_presence):
    cand = {"DocumentName": name, "ID": id_, "P": 0.9816, "RFID_Presence": rfid_presence,
            "FDSIDList": {"ICAOCode": icao, "List": [id_ % 100000], "dType": dtype, "dFormat": dformat, "dMRZ": mrz,
                          "dDescription": desc, "dYear": year, "dCountryName": country, "isDeprecated": False},
            "NecessaryLights": 6, "CheckAuthenticity": 2, "UVExp": 0, "AuthenticityNecessaryLights": 24}
    return cand

FAKE_JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(range(256))*4 + b"\xff\xd9").decode()
FAKE_JP2 = base64.b64encode(b"\x00\x00\x00\x0cjP  \r\n\x87\n" + bytes(range(256))*6).decode()

def image_containers(rfid=True):
    vals = [{"source": "VISUAL", "value": FAKE_JPEG, "pageIndex": 0, "lightIndex": 6, "containerType": 6,
             "fieldRect": {"left": 30, "top": 120, "right": 260, "bottom": 420}}]
    if rfid:
        vals.insert(0, {"source": "RFID", "value": FAKE_JPEG, "originalValue": FAKE_JP2, "pageIndex": 0, "lightIndex": 0, "containerType": 103,
                        "rfidOrigin": {"dg": 2, "dgTag": 0, "tagEntry": 0, "entryView": 0}})
    return [
        {"buf_length": 0, "light": 6, "list_idx": 0, "page_idx": 0, "result_type": 1,
         "RawImageContainer": {"image": FAKE_JPEG, "format": ".jpg"}},
        {"buf_length": 0, "light": 0, "list_idx": 0, "page_idx": 0, "result_type": 37,
         "Images": {"fieldCount": 2, "availableSourceCount": 2,
                    "availableSourceList": [{"containerType": 6, "source": "VISUAL"}] + ([{"containerType": 103, "source": "RFID"}] if rfid else []),
                    "fieldList": [
                        {"fieldName": "Portrait", "fieldType": 201, "valueCount": len(vals), "valueList": vals},
                        {"fieldName": "Document front side", "fieldType": 207, "valueCount": 1,
                         "valueList": [{"source": "VISUAL", "value": FAKE_JPEG, "pageIndex": 0, "lightIndex": 6, "containerType": 1}]},
                        {"fieldName": "Signature", "fieldType": 204, "valueCount": 1,
                         "valueList": [{"source": "VISUAL", "value": FAKE_JPEG, "pageIndex": 0, "lightIndex": 6, "containerType": 6}]}]}},
        {"buf_length": 0, "light": 6, "list_idx": 0, "page_idx": 0, "result_type": 20,
         "AuthenticityCheckList": {"Count": 1, "List": [{"Type": 1, "Result": 1, "Count": 1, "List": [{"ElementType": 4, "ElementResult": 1, "ElementDiagnose": 1, "Image": {"image": FAKE_JPEG, "format": ".jpg"}}]}]}},
        {"buf_length": 0, "light": 6, "list_idx": 0, "page_idx": 0, "result_type": 85,
         "DocumentPosition": {"docFormat": 2, "Angle": 0.8, "Width": 1240, "Height": 880, "Center": {"x": 620, "y": 440},
                              "LeftBottom": {"x": 0, "y": 880}, "LeftTop": {"x": 0, "y": 0}, "RightBottom": {"x": 1240, "y": 880}, "RightTop": {"x": 1240, "y": 0}, "Dpi": 300}},
    ]

def response(txid, dt, chip, finished, containers, passback=None, log=True):
    r = {"ChipPage": chip, "ProcessingFinished": finished,
         "ContainerList": {"Count": len(containers), "List": containers},
         "TransactionInfo": {"ComputerName": "FRONTDESK-01", "DateTime": dt, "TransactionID": txid, "UserName": "reception"},
         "morePagesAvailable": 0, "elapsedTime": 2140}
    if passback is not None:
        r["passBackObject"] = passback
    if log:
        r["log"] = base64.b64encode(b"2025-07-01 12:00:00 FRONTDESK-01 process started; scenario FullProcess").decode()
    return r

def write(name, obj):
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")

D = lambda s: s  # dates written as given

# 1. German passport with chip, all sources agree (dd.MM.yyyy dates).
mrz = td3("P", "D", "SCHNEIDER", "ANNA LENA", "C3T9K1L45", "D", "850312", "F", "310820")
fields = [
    fld(0, "Document Class Code", [("MRZ","P"),("RFID","P")]),
    fld(1, "Issuing State Code", [("MRZ","D"),("RFID","D")]),
    fld(2, "Document Number", [("MRZ","C3T9K1L45"),("VISUAL","C3T9K1L45"),("RFID","C3T9K1L45")]),
    fld(3, "Date of Expiry", [("MRZ","20.08.2031","310820"),("VISUAL","20.08.2031","20 08 2031"),("RFID","20.08.2031","310820")]),
    fld(4, "Date of Issue", [("VISUAL","21.08.2021","21 08 2021")]),
    fld(5, "Date of Birth", [("MRZ","12.03.1985","850312"),("VISUAL","12.03.1985","12 03 1985"),("RFID","12.03.1985","850312")]),
    fld(6, "Place of Birth", [("VISUAL","KÖLN")]),
    fld(8, "Surname", [("MRZ","SCHNEIDER"),("VISUAL","SCHNEIDER"),("RFID","SCHNEIDER")]),
    fld(9, "Given Names", [("MRZ","ANNA LENA"),("VISUAL","ANNA LENA"),("RFID","ANNA LENA")]),
    fld(11, "Nationality", [("VISUAL","DEUTSCH")]),
    fld(12, "Sex", [("MRZ","F"),("VISUAL","F"),("RFID","F")]),
    fld(24, "Authority", [("VISUAL","STADT KÖLN")]),
    fld(25, "Surname And Given Names", [("MRZ","SCHNEIDER ANNA LENA"),("VISUAL","SCHNEIDER ANNA LENA"),("RFID","SCHNEIDER ANNA LENA")]),
    fld(26, "Nationality Code", [("MRZ","D"),("RFID","D")]),
    fld(51, "MRZ Strings", [("MRZ","^".join(mrz)),("RFID","^".join(mrz))]),
]
write("passport_chip.json", response("9f6e2d4a-1c3b-4e8f-a5d7-2b0c9e1f3a01", "2025-07-01T09:02:11.412Z", 1, 1, [
    status_container(),
    {"buf_length": 0, "light": 0, "list_idx": 0, "page_idx": 0, "result_type": 9,
     "OneCandidate": doctype("Germany - ePassport (2017)", 1735671224, "DEU", 11, 2, True, "Passport", "2017", "Germany", 1)},
    text_container(fields, ["MRZ","VISUAL","RFID"]),
] + image_containers(True), passback={"personId": "160848", "bookingId": "473024"}))

# 2. Austrian passport: the visual zone misread the number and the expiry; the chip wins.
mrz = td3("P", "AUT", "GRUBER", "MAXIMILIAN", "U2345678", "AUT", "790604", "M", "300115")
fields = [
    fld(0, "Document Class Code", [("MRZ","P"),("RFID","P")]),
    fld(1, "Issuing State Code", [("MRZ","AUT"),("RFID","AUT")]),
    fld(2, "Document Number", [("MRZ","U2345678"),("VISUAL","U2845678"),("RFID","U2345678")],
        cmp={("MRZ","VISUAL"):0, ("VISUAL","RFID"):0}),
    fld(3, "Date of Expiry", [("MRZ","2030-01-15","300115"),("VISUAL","2030-01-18","18.01.2030"),("RFID","2030-01-15","300115")],
        cmp={("MRZ","VISUAL"):0, ("VISUAL","RFID"):0}),
    fld(4, "Date of Issue", [("VISUAL","2020-01-16","16.01.2020")]),
    fld(5, "Date of Birth", [("MRZ","1979-06-04","790604"),("VISUAL","1979-06-04","04.06.1979"),("RFID","1979-06-04","790604")]),
    fld(6, "Place of Birth", [("VISUAL","WIEN")]),
    fld(8, "Surname", [("MRZ","GRUBER"),("VISUAL","GRUBER"),("RFID","GRUBER")]),
    fld(9, "Given Names", [("MRZ","MAXIMILIAN"),("VISUAL","MAXIMILIAN"),("RFID","MAXIMILIAN")]),
    fld(12, "Sex", [("MRZ","M"),("VISUAL","M"),("RFID","M")]),
    fld(24, "Authority", [("VISUAL","BH WIEN")]),
    fld(26, "Nationality Code", [("MRZ","AUT"),("RFID","AUT")]),
    fld(51, "MRZ Strings", [("MRZ","^".join(mrz)),("RFID","^".join(mrz))]),
]
write("passport_rfid_disagrees.json", response("3b1a7c55-0e9d-4a21-8f64-7d2e5c9b0a12", "2025-07-01T09:14:40.087Z", 1, 1, [
    status_container(det_rfid={"AA": 1, "CA": 2}),
    {"buf_length": 0, "light": 0, "list_idx": 0, "page_idx": 0, "result_type": 9,
     "OneCandidate": doctype("Austria - ePassport (2014)", 1812004381, "AUT", 11, 2, True, "Passport", "2014", "Austria", 1)},
    text_container(fields, ["MRZ","VISUAL","RFID"]),
], passback={"personId": "160911"}))

# 3. Russian visa (MRV-A) in a German passport: Cyrillic and Latin names, no chip.
mrz = mrv_a("RUS", "SCHNEIDER", "ANNA LENA", "251234567", "DEU", "850312", "F", "250930", "C3T9K1L45")
fields = [
    fld(0, "Document Class Code", [("MRZ","V")]),
    fld(1, "Issuing State Code", [("MRZ","RUS")]),
    fld(2, "Document Number", [("MRZ","251234567"),("VISUAL","251234567")]),
    fld(3, "Date of Expiry", [("MRZ","09/30/2025","250930"),("VISUAL","09/30/2025","30.09.25")]),
    fld(4, "Date of Issue", [("VISUAL","05/20/2025","20.05.25")]),
    fld(5, "Date of Birth", [("MRZ","03/12/1985","850312"),("VISUAL","03/12/1985","12.03.1985")]),
    fld(8, "Surname", [("MRZ","SCHNEIDER"),("VISUAL","SCHNEIDER")]),
    fld(8, "Surname", [("VISUAL","ШНАЙДЕР")], lcid=1049),
    fld(9, "Given Names", [("MRZ","ANNA LENA"),("VISUAL","ANNA LENA")]),
    fld(9, "Given Names", [("VISUAL","АННА ЛЕНА")], lcid=1049),
    fld(12, "Sex", [("MRZ","F"),("VISUAL","F")]),
    fld(26, "Nationality Code", [("MRZ","DEU"),("VISUAL","DEU")]),
    fld(27, "Passport Number", [("MRZ","C3T9K1L45"),("VISUAL","C3T9K1L45")]),
    fld(100, "Visa Type", [("VISUAL","ТУРИСТИЧЕСКАЯ")], lcid=1049),
    fld(101, "Visa Valid From", [("VISUAL","06/01/2025","01.06.25")]),
    fld(102, "Visa Valid Until", [("MRZ","09/30/2025","250930"),("VISUAL","09/30/2025","30.09.25")]),
    fld(104, "Number of Entries", [("VISUAL","01")]),
    fld(51, "MRZ Strings", [("MRZ","^".join(mrz))]),
]
write("visa.json", response("c7d04e19-5a6b-47c2-9e13-86f0b2a4d523", "2025-07-01T09:03:02.955Z", 0, 1, [
    status_container(rfid=2, det_rfid={"overallStatus": 2, "CA": 2, "PA": 2, "PACE": 2}),
    {"buf_length": 0, "light": 0, "list_idx": 0, "page_idx": 0, "result_type": 9,
     "OneCandidate": doctype("Russian Federation - Visa (2007)", 1306021007, "RUS", 30, 2, True, "Visa", "2007", "Russian Federation", 0)},
    text_container(fields, ["MRZ","VISUAL"]),
] + image_containers(False)[:1], passback={"personId": "160848", "bookingId": "473024"}))

# 4. Kazakh ID card (TD1) with chip; PA not done (no CSCA for the issuer).
mrz = td1("ID", "KAZ", "041234567", "950214400123", "950214", "F", "320513", "KAZ", "", "ZHUMABAYEVA", "AIGERIM")
fields = [
    fld(0, "Document Class Code", [("MRZ","ID"),("RFID","ID")]),
    fld(1, "Issuing State Code", [("MRZ","KAZ"),("RFID","KAZ")]),
    fld(2, "Document Number", [("MRZ","041234567"),("VISUAL","041234567"),("RFID","041234567")]),
    fld(3, "Date of Expiry", [("MRZ","13.05.2032","320513"),("VISUAL","13.05.2032"),("RFID","13.05.2032","320513")]),
    fld(4, "Date of Issue", [("VISUAL","14.05.2022")]),
    fld(5, "Date of Birth", [("MRZ","14.02.1995","950214"),("VISUAL","14.02.1995"),("RFID","14.02.1995","950214")]),
    fld(6, "Place of Birth", [("VISUAL","ҚАРАҒАНДЫ ОБЛЫСЫ")], lcid=1087),
    fld(7, "Personal Number", [("MRZ","950214400123"),("VISUAL","950214400123"),("RFID","950214400123")]),
    fld(8, "Surname", [("MRZ","ZHUMABAYEVA"),("RFID","ZHUMABAYEVA")]),
    fld(8, "Surname", [("VISUAL","ЖУМАБАЕВА")], lcid=1049),
    fld(9, "Given Names", [("MRZ","AIGERIM"),("RFID","AIGERIM")]),
    fld(9, "Given Names", [("VISUAL","АЙГЕРИМ")], lcid=1049),
    fld(129, "Father's Name", [("VISUAL","СЕРИКОВНА")], lcid=1049),
    fld(12, "Sex", [("MRZ","F"),("RFID","F")]),
    fld(24, "Authority", [("VISUAL","МВД РК")], lcid=1049),
    fld(26, "Nationality Code", [("MRZ","KAZ"),("RFID","KAZ")]),
    fld(51, "MRZ Strings", [("MRZ","^".join(mrz)),("RFID","^".join(mrz))]),
]
write("id_card.json", response("0e58b3a2-74c1-4d0f-b6a9-5f12c8e7d634", "2025-07-01T10:41:57.230Z", 1, 1, [
    status_container(det_rfid={"PA": 2, "CA": 1, "AA": 2}),
    {"buf_length": 0, "light": 0, "list_idx": 0, "page_idx": 0, "result_type": 8,
     "CandidatesList": {"RecResult": 0, "Candidates": [
        doctype("Kazakhstan - Id Card (2021) #2", 1551372150, "KAZ", 12, 0, True, "Identity Card", "2021", "Kazakhstan", 1),
        doctype("Kazakhstan - Id Card (2014)", 1551371432, "KAZ", 12, 0, True, "Identity Card", "2014", "Kazakhstan", 1)]}},
    text_container(fields, ["MRZ","VISUAL","RFID"]),
], passback={"personId": "161002", "bookingId": "473110"}))

# 5. French passport: the chip is there but did not answer; data from MRZ and the visual zone.
mrz = td3("P", "FRA", "LEFEVRE", "CAMILLE", "19AB12345", "FRA", "920817", "F", "290302")
fields = [
    fld(0, "Document Class Code", [("MRZ","P")]),
    fld(1, "Issuing State Code", [("MRZ","FRA")]),
    fld(2, "Document Number", [("MRZ","19AB12345"),("VISUAL","19AB12345")]),
    fld(3, "Date of Expiry", [("MRZ","02.03.2029","290302"),("VISUAL","02.03.2029")]),
    fld(4, "Date of Issue", [("VISUAL","03.03.2019")]),
    fld(5, "Date of Birth", [("MRZ","17.08.1992","920817"),("VISUAL","17.08.1992")]),
    fld(6, "Place of Birth", [("VISUAL","LYON (69)")]),
    fld(8, "Surname", [("MRZ","LEFEVRE"),("VISUAL","LEFÈVRE")]),
    fld(9, "Given Names", [("MRZ","CAMILLE"),("VISUAL","CAMILLE")]),
    fld(12, "Sex", [("MRZ","F"),("VISUAL","F")]),
    fld(24, "Authority", [("VISUAL","PRÉFECTURE DU RHÔNE")]),
    fld(26, "Nationality Code", [("MRZ","FRA")]),
    fld(51, "MRZ Strings", [("MRZ","^".join(mrz))]),
]
write("passport_chip_failed.json", response("61f2a8c0-3d7e-4b95-a0c4-e9b813f6d745", "2025-07-01T11:07:33.604Z", 1, 1, [
    status_container(rfid=2, det_rfid={"overallStatus": 2, "BAC": 2, "PACE": 2, "PA": 2, "CA": 2, "AA": 2}),
    {"buf_length": 0, "light": 0, "list_idx": 0, "page_idx": 0, "result_type": 9,
     "OneCandidate": doctype("France - ePassport (2006)", 1403120591, "FRA", 11, 2, True, "Passport", "2006", "France", 1)},
    text_container(fields, ["MRZ","VISUAL"]),
], passback={"personId": "161145"}))

# 6. Processing not finished: the reader was still waiting for the chip.
write("processing_not_finished.json", response("a4c9e713-2b8f-46d1-93e5-0c7f1d2b8e56", "2025-07-01T11:20:05.118Z", 1, 0, [
    status_container(overall=2, optical=1, rfid=2, det_rfid={"overallStatus": 2, "PA": 2, "CA": 2, "PACE": 2}),
    {"buf_length": 0, "light": 0, "list_idx": 0, "page_idx": 0, "result_type": 9,
     "OneCandidate": doctype("Germany - ePassport (2017)", 1735671224, "DEU", 11, 2, True, "Passport", "2017", "Germany", 1)},
], passback={"personId": "160848"}))

# 7. Russian international passport whose security features failed: overall status error.
mrz = td3("P", "RUS", "VOLKOV", "DMITRII", "751234567", "RUS", "880923", "M", "330410")
fields = [
    fld(0, "Document Class Code", [("MRZ","P"),("RFID","P")]),
    fld(1, "Issuing State Code", [("MRZ","RUS"),("RFID","RUS")]),
    fld(2, "Document Number", [("MRZ","751234567"),("VISUAL","751234567"),("RFID","751234567")]),
    fld(3, "Date of Expiry", [("MRZ","10.04.2033"),("VISUAL","10.04.2033"),("RFID","10.04.2033")]),
    fld(5, "Date of Birth", [("MRZ","23.09.1988"),("VISUAL","23.09.1988"),("RFID","23.09.1988")]),
    fld(8, "Surname", [("MRZ","VOLKOV"),("VISUAL","VOLKOV"),("RFID","VOLKOV")]),
    fld(8, "Surname", [("VISUAL","ВОЛКОВ")], lcid=1049),
    fld(9, "Given Names", [("MRZ","DMITRII"),("VISUAL","DMITRII"),("RFID","DMITRII")]),
    fld(9, "Given Names", [("VISUAL","ДМИТРИЙ")], lcid=1049),
    fld(12, "Sex", [("MRZ","M"),("RFID","M")]),
    fld(26, "Nationality Code", [("MRZ","RUS"),("RFID","RUS")]),
    fld(51, "MRZ Strings", [("MRZ","^".join(mrz)),("RFID","^".join(mrz))]),
]
write("status_error.json", response("5d83f0b6-9e24-4c7a-b1f8-3a6d0e2c9f87", "2025-07-01T12:31:48.771Z", 1, 1, [
    status_container(overall=0, optical=0, rfid=1, det_opt={"overallStatus": 0, "security": 0}),
    {"buf_length": 0, "light": 0, "list_idx": 0, "page_idx": 0, "result_type": 9,
     "OneCandidate": doctype("Russian Federation - ePassport (2010)", 1300741255, "RUS", 11, 2, True, "Passport", "2010", "Russian Federation", 1)},
    text_container(fields, ["MRZ","VISUAL","RFID"]),
], passback={"personId": "161200"}))

# 8. Russian internal passport (PN): Cyrillic names with patronymic, series and number.
num = "451123456"; dob = "900115"; opt = "0100220770001<"
l2 = num + cd(num) + "RUS" + dob + cd(dob) + "F" + "<<<<<<" + "<" + opt + cd(opt)
l2 = l2 + cd(num + cd(num) + dob + cd(dob) + "<<<<<<" + "<" + opt + cd(opt))
mrz = ["PNRUSKUZNECOVA<<MARIQ<ALEKSANDROVNA<<<<<<<<<", l2]
assert len(mrz[0]) == 44 and len(l2) == 44, mrz
fields = [
    fld(0, "Document Class Code", [("MRZ","PN")]),
    fld(1, "Issuing State Code", [("MRZ","RUS")]),
    fld(56, "Document Series", [("VISUAL","45 10")]),
    fld(2, "Document Number", [("VISUAL","123456")]),
    fld(4, "Date of Issue", [("VISUAL","20.02.2010")]),
    fld(5, "Date of Birth", [("MRZ","15.01.1990","900115"),("VISUAL","15.01.1990")]),
    fld(6, "Place of Birth", [("VISUAL","ГОР. МОСКВА")], lcid=1049),
    fld(8, "Surname", [("VISUAL","КУЗНЕЦОВА")], lcid=1049),
    fld(8, "Surname", [("MRZ","KUZNECOVA")]),
    fld(9, "Given Names", [("VISUAL","МАРИЯ")], lcid=1049),
    fld(9, "Given Names", [("MRZ","MARIQ ALEKSANDROVNA")]),
    fld(129, "Father's Name", [("VISUAL","АЛЕКСАНДРОВНА")], lcid=1049),
    fld(12, "Sex", [("MRZ","F"),("VISUAL","Ж")], cmp={("MRZ","VISUAL"):1}),
    fld(24, "Authority", [("VISUAL","ОТДЕЛЕНИЕМ УФМС РОССИИ ПО ГОР. МОСКВЕ")], lcid=1049),
    fld(73, "Authority Code", [("VISUAL","770-001")]),
    fld(26, "Nationality Code", [("MRZ","RUS")]),
    fld(51, "MRZ Strings", [("MRZ","^".join(mrz))]),
]
write("passport_rus_internal.json", response("e2b67d91-48a0-4f3c-8d25-b91c7e0a4f18", "2025-07-01T13:05:19.002Z", 0, 1, [
    status_container(rfid=2, det_rfid={"overallStatus": 2, "CA": 2, "PA": 2, "PACE": 2}, pages=2),
    {"buf_length": 0, "light": 0, "list_idx": 0, "page_idx": 0, "result_type": 9,
     "OneCandidate": doctype("Russian Federation - Passport (2011)", 1300170002, "RUS", 11, 2, True, "Passport", "2011", "Russian Federation", 0)},
    text_container(fields, ["MRZ","VISUAL"]),
], passback={"personId": "161300", "legalEntity": "e0150000-0000-4000-8000-000000000001"}))
print("ok")
