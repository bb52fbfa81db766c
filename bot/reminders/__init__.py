"""Service notices the insurer's systems owe members, sent by a job
(`python -m bot.reminders`): a visit reminder the day before (就诊提醒) and a pre-auth
decision once it is made (预授权结果). It reads what is due from the backends
(`GET /v1/notices`) and posts each notice to the gateway (`POST /api/v1/notifications`),
never twice: docs/operations.md."""
