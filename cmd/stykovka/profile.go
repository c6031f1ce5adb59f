package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/tenants"
)

// The deployment profile of the local binary (README, «Где хранить персональные данные»):
//
//   - on-prem (the default): the customer's own server in Russia, the embedded store in the
//     data folder; personal data allowed.
//   - ru-cloud: a cloud with a Russian region; personal data allowed. With STYKOVKA_TABLE set
//     the binary keeps its state in that cloud's DynamoDB- and S3-compatible services (the
//     same adapters and variables as the Lambda functions, app.FromEnv), otherwise in the
//     data folder of the cloud's VM.
//   - aws: not for personal data of Russian citizens unless STYKOVKA_PERSONAL_DATA_ALLOWED=true
//     (transient storage under legal advice).
//
// The profile comes from --profile, else STYKOVKA_PROFILE, else on-prem (aws for the AWS
// adapters, as in Lambda).

// addProfileFlag declares serve's --profile flag.
func addProfileFlag(fs *flag.FlagSet) *string {
	return fs.String("profile", "", "профиль развёртывания: on-prem, ru-cloud или aws (по умолчанию STYKOVKA_PROFILE, иначе on-prem)")
}

// openDeps builds the hub's dependencies and its deployment: the AWS-API adapters
// (DynamoDB-, S3- and KMS-compatible services) when STYKOVKA_TABLE is set, otherwise the
// embedded ones in dataDir. profile overrides STYKOVKA_PROFILE when not empty.
func openDeps(ctx context.Context, getenv func(string) string, dataDir, profile string, log *slog.Logger, clk clock.Clock) (*app.Deps, error) {
	env := func(k string) string {
		if k == app.EnvProfile && profile != "" {
			return profile
		}
		return getenv(k)
	}
	if env(app.EnvTable) != "" {
		if _, err := app.DeploymentFromEnv(env, app.ProfileAWS); err != nil {
			return nil, usageError{err.Error()}
		}
		d, err := app.FromEnvWithClock(ctx, env, log, clk)
		if err != nil {
			return nil, fmt.Errorf("хранилище из переменных окружения (%s задана): %w", app.EnvTable, err)
		}
		return d, nil
	}
	dep, err := app.DeploymentFromEnv(env, app.ProfileOnPrem)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	d, err := app.LocalWithClock(dataDir, log, clk)
	if err != nil {
		return nil, fmt.Errorf("открыть папку данных %s: %w", dataDir, err)
	}
	d.Deployment = dep
	return d, nil
}

// integrationNames are the personal-data integrations as the banner names them.
var integrationNames = map[string]string{
	"emis":        "EMIS (документы гостей)",
	"bridge":      "мост сканера документов",
	"novotelecom": "«Мои счета» Новотелекома (реестры собственников)",
}

// announceProfile prints the deployment profile and, when integrations with personal data
// run on a profile not allowed for it, a warning (hub.New has logged it as WARN
// PERSONAL_DATA_PROFILE too).
func announceProfile(w io.Writer, deps *app.Deps, h *hub.Hub) {
	dep := deps.Deployment
	keep := fmt.Sprintf("по умолчанию %d ч после доставки, у каждого абонента свой", int(tenants.DefaultRetention.Hours()))
	if dep.PersonalData {
		fmt.Fprintf(w, "  Персональные данные: разрешены на профиле %s (срок хранения: %s)\n", dep.Profile, keep)
		return
	}
	pd := h.PersonalDataIntegrations()
	if len(pd) == 0 {
		fmt.Fprintf(w, "  Персональные данные: не разрешены на профиле %s; интеграций с ними не включено\n", dep.Profile)
		return
	}
	names := make([]string, len(pd))
	for i, p := range pd {
		names[i] = integrationNames[p]
		if names[i] == "" {
			names[i] = p
		}
	}
	fmt.Fprintf(w, "  ВНИМАНИЕ: профиль %s не разрешён для персональных данных граждан РФ, а включены интеграции с ними: %s.\n"+
		"  Выберите профиль ru-cloud или on-prem (README, «Где хранить персональные данные»); %s=true — только по заключению юриста\n",
		dep.Profile, strings.Join(names, ", "), app.EnvPersonalData)
}

// tenantRetention is `admin tenant retention --id ID [--hours N]`: shows, or sets (hours >= 0;
// 0 restores the default), how long the tenant's personal data stays in the hub.
func tenantRetention(ctx context.Context, reg *tenants.Registry, id string, hours int, stdout io.Writer) error {
	if _, err := reg.Tenant(ctx, id); err != nil {
		return err
	}
	if hours >= 0 {
		if hours > int(tenants.MaxRetention.Hours()) {
			return tenants.ErrRetentionInvalid
		}
		d, err := reg.SetRetention(ctx, id, time.Duration(hours)*time.Hour)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Срок хранения персональных данных абонента %s: %d ч\n", id, int(d.Hours()))
		return nil
	}
	d, err := reg.Retention(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Срок хранения персональных данных абонента %s: %d ч (по умолчанию %d ч, от %d ч до %d ч)\n", id,
		int(d.Hours()), int(tenants.DefaultRetention.Hours()), int(tenants.MinRetention.Hours()), int(tenants.MaxRetention.Hours()))
	return nil
}
