// Package registry reads and writes the registry files exchanged with Novotelecom «Мои
// счета», line by line, in constant memory.
//
// Novotelecom's real format is not public (shared/INTEGRATIONS.md §3). This one is designed
// from the seed (the 1C module's manual): semicolon-separated text lines, a header with the
// count of lines and their sum that must agree with the lines, amounts with two decimals,
// periods MMYYYY, CP1251 or UTF-8, and diagnostics that name the file and the line the way
// the 1C module did: "строка: 1, неизв.лиц.счёт: 8032067". Moving to the real format is a
// change in this package only.
//
// # Files
//
// A file is named <Prefix>_<YYYYMMDD>_<NNN>.txt — Services, Debts, Meters (hub → Novotelecom),
// Payments, Readings, Answer (Novotelecom → hub), Confirm, Reject (hub → Novotelecom) — with
// the registry date and a number 001..999 unique per kind and date: Payments_20180621_007.txt.
//
// Lines end in CRLF (LF alone is read too); a field never holds ';', CR or LF; a line is at
// most 4096 bytes; empty lines are errors. The first line is the header, "строка: 0" in
// diagnostics; records are numbered from 1, so "строка: 1" is the first payment, as in the
// seed.
//
// # Header
//
//	#MS1;KIND;NNN;DD.MM.YYYY;MMYYYY;COUNT;SUM;CHARSET;REF
//
// The fields:
//
//   - #MS1: signature and format version.
//   - KIND: SERVICES, DEBTS, METERS, PAYMENTS, READINGS, ANSWER, CONFIRM or REJECT.
//   - NNN, DD.MM.YYYY: number and date; they must agree with a conventional file name.
//   - MMYYYY: the billed month; required for DEBTS and METERS, optional for PAYMENTS and
//     READINGS, empty for the others.
//   - COUNT: the number of records.
//   - SUM: the exact sum of the amount column: two decimals for money, three for meter
//     values; 0.00 for kinds without amounts.
//   - CHARSET: CP1251 or UTF-8; empty means "detect": a UTF-8 byte order mark, or else the
//     first non-ASCII text that is valid UTF-8, means UTF-8, anything else CP1251. Everything
//     but free text (addresses, names, messages) is ASCII, so the header and the numbers read
//     the same in both.
//   - REF: for ANSWER, CONFIRM and REJECT, the name of the file answered; empty otherwise.
//
// # Records
//
//	SERVICES  CODE;NAME                                   one service of the tenant's catalogue
//	DEBTS     ACCOUNT;ADDRESS;SERVICE;AMOUNT               debt at the header date (AMOUNT may be negative: an advance)
//	METERS    ACCOUNT;ADDRESS;METER;SERVICE;VALUE          reading as of the header date
//	PAYMENTS  ACCOUNT;SERVICE;MMYYYY;AMOUNT;DD.MM.YYYY HH:MM:SS;ID   AMOUNT > 0, ID is Novotelecom's
//	READINGS  ACCOUNT;METER;SERVICE;VALUE;DD.MM.YYYY       a reading an owner sent, and its date
//	ANSWER    LINE;MESSAGE                                 Novotelecom's answer to REF: no records = processed, else its errors
//	CONFIRM   LINE;ACCOUNT;AMOUNT                          REF accepted; echoes each line (count and sum equal REF's)
//	REJECT    LINE;MESSAGE                                 REF refused: the error (LINE 0 is REF's header)
//
// ACCOUNT is 1–20 ASCII letters, digits or '-'; SERVICE, METER and ID are ASCII letters,
// digits and - . _ / (20, 30 and 40 at most); SERVICE is empty when the tenant codes debts for
// the whole account. Amounts are [-]digits.DD (at most 13 integer digits), meter values
// digits.DDD. Dates and times are wall-clock values without a zone.
//
// # Examples
//
// A payments registry (two payments, 1055.00; the seed's list shows such a file):
//
//	#MS1;PAYMENTS;007;21.06.2018;;2;1055.00;CP1251;
//	8032001;;052018;1000.00;21.06.2018 10:15:00;NT-0000000101
//	8032002;;052018;55.00;21.06.2018 11:40:12;NT-0000000102
//
// Debts for May 2018 by «Город» service codes, billed after the month's end:
//
//	#MS1;DEBTS;001;31.05.2018;052018;2;1710.40;CP1251;
//	8032001;г. Новосибирск, ул. Ленина, 1-1;101;1200.00
//	8032001;г. Новосибирск, ул. Ленина, 1-1;102;510.40
//
// Meter readings as of the 1st of the month after the billed one:
//
//	#MS1;METERS;001;01.06.2018;052018;1;345.120;CP1251;
//	8032001;г. Новосибирск, ул. Ленина, 1-1;118843;201;345.120
//
// Novotelecom's answer to that file (no records: processed without errors):
//
//	#MS1;ANSWER;001;01.06.2018;;0;0.00;UTF-8;Meters_20180601_001.txt
//
// The hub's rejection of a payments registry with an unknown account on its first line:
//
//	#MS1;REJECT;003;21.06.2018;;1;0.00;CP1251;Payments_20180621_007.txt
//	1;неизв.лиц.счёт: 8032067
//
// and its confirmation of a good one:
//
//	#MS1;CONFIRM;001;22.06.2018;;2;1055.00;CP1251;Payments_20180621_007.txt
//	1;8032001;1000.00
//	2;8032002;55.00
//
// # Diagnostics
//
// A structural error is an *Error: the file, the line (0 for the header) and what is wrong
// with the offending value, e.g. "строка: 3, сумма: 12.5", "строка: 0, кол-во в заголовке: 3,
// строк: 2", "строка: 1, неизв.лиц.счёт: 8032067" (when the reader is given the tenant's
// accounts). A reader stops at the first error: the seed's rule is that a broken registry is
// refused whole and sorted out by hand.
package registry
