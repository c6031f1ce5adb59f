package legal

// ValidINN checks a Russian taxpayer number (ИНН): 10 digits for an organisation, 12 for an
// individual entrepreneur, with the control digits of the Federal Tax Service's public
// algorithm (weighted sum mod 11 mod 10).
func ValidINN(s string) bool {
	d := make([]int, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		d[i] = int(s[i] - '0')
	}
	check := func(weights []int) int {
		sum := 0
		for i, w := range weights {
			sum += w * d[i]
		}
		return sum % 11 % 10
	}
	switch len(d) {
	case 10:
		return check([]int{2, 4, 10, 3, 5, 9, 4, 6, 8}) == d[9]
	case 12:
		return check([]int{7, 2, 4, 10, 3, 5, 9, 4, 6, 8}) == d[10] &&
			check([]int{3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8}) == d[11]
	}
	return false
}

// ValidKPP checks a tax registration reason code (КПП): four digits (tax office), two digits
// or capital Latin letters (reason), three digits (number).
func ValidKPP(s string) bool {
	if len(s) != 9 {
		return false
	}
	for i := 0; i < 9; i++ {
		c := s[i]
		digit := c >= '0' && c <= '9'
		if i == 4 || i == 5 {
			if !digit && !(c >= 'A' && c <= 'Z') {
				return false
			}
		} else if !digit {
			return false
		}
	}
	return true
}
