package app

import (
	"fmt"
	"strconv"
	"strings"
)

// Deployment profiles: where the hub runs, which decides whether it may keep personal data
// of Russian citizens (152-FZ art. 18 part 5; shared/DESIGN.md, "Data residency"; README,
// «Где хранить персональные данные»).
const (
	// ProfileAWS: AWS Lambda, DynamoDB, S3, KMS. AWS has no Russian region: not for Russian
	// citizens' personal data unless it is kept only transiently under legal advice.
	ProfileAWS = "aws"
	// ProfileRUCloud: a cloud with a Russian region through its DynamoDB- and S3-compatible
	// services (for example Yandex Cloud: YDB Document API, Object Storage).
	ProfileRUCloud = "ru-cloud"
	// ProfileOnPrem: the single binary on the customer's own server in Russia.
	ProfileOnPrem = "on-prem"
)

// Environment variables of the deployment profile.
const (
	// EnvProfile names the profile: aws, ru-cloud or on-prem. Default: aws for FromEnv (the
	// Lambda functions), on-prem for the local binary.
	EnvProfile = "STYKOVKA_PROFILE"
	// EnvPersonalData = true or false overrides the profile's own answer to "may this
	// deployment keep personal data": allowed on ru-cloud and on-prem, not on aws.
	EnvPersonalData = "STYKOVKA_PERSONAL_DATA_ALLOWED"
)

// Profiles are the known profiles, in the order the README presents them.
var Profiles = []string{ProfileAWS, ProfileRUCloud, ProfileOnPrem}

// Deployment is where the hub runs and whether it may keep personal data there.
type Deployment struct {
	// Profile is one of Profiles; "" is unknown (Deps built by hand in tests).
	Profile string
	// PersonalData reports that personal data of Russian citizens may be kept here: the
	// profile's default or EnvPersonalData.
	PersonalData bool
}

// PersonalDataByDefault reports whether a profile allows personal data unless told otherwise.
func PersonalDataByDefault(profile string) bool { return profile != ProfileAWS }

// NewDeployment checks a profile name and an optional override ("" keeps the profile's
// default; otherwise a boolean such as true or false).
func NewDeployment(profile, personalData string) (Deployment, error) {
	profile = strings.TrimSpace(strings.ToLower(profile))
	known := false
	for _, p := range Profiles {
		known = known || p == profile
	}
	if !known {
		return Deployment{}, fmt.Errorf("%s=%q: want one of %s", EnvProfile, profile, strings.Join(Profiles, ", "))
	}
	d := Deployment{Profile: profile, PersonalData: PersonalDataByDefault(profile)}
	if v := strings.TrimSpace(personalData); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Deployment{}, fmt.Errorf("%s=%q: want true or false", EnvPersonalData, v)
		}
		d.PersonalData = b
	}
	return d, nil
}

// DeploymentFromEnv reads EnvProfile (def when unset) and EnvPersonalData.
func DeploymentFromEnv(getenv func(string) string, def string) (Deployment, error) {
	p := getenv(EnvProfile)
	if strings.TrimSpace(p) == "" {
		p = def
	}
	return NewDeployment(p, getenv(EnvPersonalData))
}
