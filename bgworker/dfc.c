/*-------------------------------------------------------------------------
 *
 * dfc.c
 *		Background step workers for dfc workflows, and the few runtime
 *		functions that must be written in C.
 *
 * The C code knows nothing of workflows: each step worker loops, claiming
 * and running one step per transaction through the SQL functions of schema
 * df (runtime-sql/), switches identity for the step's SQL and handles
 * signals.  Everything else is SQL.
 *
 * Glossary
 *	step worker	a background worker that runs workflow steps, one per
 *				transaction, in the database named by dfc.database
 *	queue item	a row of df._queue: an instance (branch) with a step to run;
 *				df._claim() locks one and returns its id
 *	submitter	the role that started an instance; a step's SQL runs with
 *				exactly its privileges (dfc_run_as)
 *	wake		setting the latches of the step workers of a database when a
 *				transaction that created work commits (dfc_wake)
 *	interrupt	cancelling the statement of the step worker that runs a given
 *				queue item, at the commit of the transaction that asked
 *				(dfc_interrupt); a worker that no longer runs that item
 *				ignores it
 *
 * Copyright (c) the dfc authors
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_db_role_setting.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "portability/instr_time.h"
#include "commands/async.h"
#include "commands/portalcmds.h"
#include "commands/trigger.h"
#include "commands/prepare.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/ilist.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/regproc.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

PG_MODULE_MAGIC;

PGDLLEXPORT void dfc_step_worker_main(Datum main_arg);

PG_FUNCTION_INFO_V1(dfc_run_as);
PG_FUNCTION_INFO_V1(dfc_run_sql);
PG_FUNCTION_INFO_V1(dfc_wake);
PG_FUNCTION_INFO_V1(dfc_step_role);
PG_FUNCTION_INFO_V1(dfc_interrupt);
PG_FUNCTION_INFO_V1(dfc_call2);
PG_FUNCTION_INFO_V1(dfc_step_failed);
PG_FUNCTION_INFO_V1(dfc_worker_stats);

#define DFC_MAX_WORKERS 64
/* interrupts one transaction can ask for (more than the running steps) */
#define DFC_MAX_INTERRUPTS 256
/* longest idle sleep between looks at the queue (ms) */
#define DFC_NAPTIME_MS 1000L

/* Settings (documented in docs/settings.md) */
static char *dfc_database = NULL;
static int	dfc_workers = 2;
static bool dfc_allow_superuser = false;
static bool dfc_http_allow_private = false;
static bool dfc_http_allow_loopback = false;
static int	dfc_list_instances_max_limit = 1000;
static int	dfc_step_plans = 16;
static int	dfc_retention = 7 * 24 * 3600;	/* seconds; 0: keep */

/*
 * Shared memory: one slot per step worker, written only by that worker, so
 * that a committing backend can set the latches of its database's workers.
 * A stale read at worst sets one latch too many.
 */
typedef struct DfcWorkerSlot
{
	Oid			database;		/* InvalidOid while the slot is unused */
	int			pgprocno;
	pid_t		pid;
	pg_atomic_uint64 current_item;	/* queue item whose step runs, or 0 */
	pg_atomic_uint64 cancel_item;	/* the item an interrupt was sent for */
	pg_atomic_uint64 died_item;		/* the item whose step was running when the
									 * slot's last worker exited, or 0 */
	/* statistics (df._worker_stats), since the worker started */
	TimestampTz started_at;
	pg_atomic_uint64 steps;		/* steps run, failed ones included */
	pg_atomic_uint64 failures;	/* steps that failed (df._step_failed) */
	pg_atomic_uint64 last_step_at;	/* end of the last step (TimestampTz), 0: none */
	int64		second_of[60];	/* steps per second of the last minute: bucket */
	uint32		steps_in[60];	/* i counts the steps of second second_of[i] */
} DfcWorkerSlot;

typedef struct DfcShared
{
	int			nslots;
	pg_atomic_uint64 role_settings_generation;	/* bumped at the commit of an ALTER ROLE ... SET */
	DfcWorkerSlot slots[FLEXIBLE_ARRAY_MEMBER];
} DfcShared;

static DfcShared *dfc_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/*
 * Step worker: the statements of the loop, prepared once and kept.  The plan
 * cache replans them if the runtime is replaced.
 */
static SPIPlanPtr claim_plan = NULL;
static SPIPlanPtr run_plan = NULL;
static SPIPlanPtr fail_plan = NULL;
static SPIPlanPtr next_due_plan = NULL;
static SPIPlanPtr http_done_plan = NULL;
static SPIPlanPtr expire_plan = NULL;

/* Per-backend state */
static bool wake_at_commit = false;
static bool xact_callback_registered = false;
static Oid	current_step_role = InvalidOid;
static int64 interrupt_items[DFC_MAX_INTERRUPTS];
static int	interrupt_count = 0;
static DfcWorkerSlot *my_slot = NULL;	/* in a step worker */

void		_PG_init(void);
static void register_xact_callback(void);
static void dfc_ProcessUtility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
							   ProcessUtilityContext context, ParamListInfo params, QueryEnvironment *queryEnv,
							   DestReceiver *dest, QueryCompletion *qc);

static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/*
 * True while the deferred triggers of a step fire at its end, as its
 * submitter (run_sql_as): SET CONSTRAINTS ... DEFERRED is refused then, or a
 * trigger could queue an event that would fire at commit, after the identity
 * is switched back, with the worker's privileges.
 */
static bool firing_step_triggers = false;
static void call_fail(int64 item, ErrorData *edata);
static bool role_settings_changed = false;	/* this transaction ran ALTER ROLE ... SET */

static Size
dfc_shmem_size(void)
{
	return add_size(offsetof(DfcShared, slots),
					mul_size(sizeof(DfcWorkerSlot), dfc_workers));
}

static void
dfc_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(dfc_shmem_size());
}

static void
dfc_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	dfc_shared = ShmemInitStruct("dfc", dfc_shmem_size(), &found);
	if (!found)
	{
		dfc_shared->nslots = dfc_workers;
		pg_atomic_init_u64(&dfc_shared->role_settings_generation, 0);
		for (int i = 0; i < dfc_workers; i++)
		{
			dfc_shared->slots[i].database = InvalidOid;
			dfc_shared->slots[i].pgprocno = -1;
			dfc_shared->slots[i].pid = 0;
			pg_atomic_init_u64(&dfc_shared->slots[i].current_item, 0);
			pg_atomic_init_u64(&dfc_shared->slots[i].cancel_item, 0);
			pg_atomic_init_u64(&dfc_shared->slots[i].died_item, 0);
			pg_atomic_init_u64(&dfc_shared->slots[i].steps, 0);
			pg_atomic_init_u64(&dfc_shared->slots[i].failures, 0);
			pg_atomic_init_u64(&dfc_shared->slots[i].last_step_at, 0);
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

void
_PG_init(void)
{
	BackgroundWorker worker;

	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = dfc_ProcessUtility;

	DefineCustomBoolVariable("dfc.allow_superuser",
							 "Allows workflow instances submitted by superusers.",
							 "Steps run with the privileges of the submitter; a superuser's steps could do anything.",
							 &dfc_allow_superuser,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("dfc.http_allow_private",
							 "Allows HTTP steps to call private, link-local, shared and multicast addresses.",
							 "Off: a call whose host resolves to such an address fails its node (loopback: dfc.http_allow_loopback).",
							 &dfc_http_allow_private,
							 false,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("dfc.http_allow_loopback",
							 "Allows HTTP steps to call loopback addresses (this machine).",
							 "Off: a call whose host resolves to 127.0.0.0/8, ::1 or an unspecified address fails its node.",
							 &dfc_http_allow_loopback,
							 false,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	/* read by df._expire_instances (runtime-sql/095_control.sql) */
	DefineCustomIntVariable("dfc.retention",
							"How long finished workflow instances are kept.",
							"Completed, failed and cancelled instances whose end is older are removed by the step workers, in small batches; 0 keeps them.",
							&dfc_retention,
							7 * 24 * 3600, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	/* read by df.list_instances (runtime-sql/100_api.sql) */
	DefineCustomIntVariable("dfc.list_instances_max_limit",
							"Largest limit df.list_instances accepts.",
							"A larger limit is an error; page through with after_cursor instead.",
							&dfc_list_instances_max_limit,
							1000, 1, 1000000,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("dfc.step_plans",
							"Plans of step SQL each session keeps.",
							"A step text that is one SELECT, INSERT, UPDATE, DELETE or MERGE is planned once it has run twice; the plan used least recently makes room. 0 plans every step afresh.",
							&dfc_step_plans,
							16, 0, 1000,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	/*
	 * Settings read only at server start can be defined only while the
	 * library is preloaded: loaded later (CREATE FUNCTION, LOAD) PostgreSQL
	 * would end the session.  Without preloading there are no workers anyway.
	 */
	if (process_shared_preload_libraries_in_progress)
	{
		DefineCustomStringVariable("dfc.database",
								   "Database in which the dfc step workers run workflows.",
								   NULL,
								   &dfc_database,
								   "postgres",
								   PGC_POSTMASTER,
								   0,
								   NULL, NULL, NULL);

		DefineCustomIntVariable("dfc.workers",
								"Number of dfc step workers.",
								NULL,
								&dfc_workers,
								2,
								0,
								DFC_MAX_WORKERS,
								PGC_POSTMASTER,
								0,
								NULL, NULL, NULL);
	}

	MarkGUCPrefixReserved("dfc");

	/* Loaded by CREATE FUNCTION or LOAD: the functions work, no workers. */
	if (!process_shared_preload_libraries_in_progress)
		return;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = dfc_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = dfc_shmem_startup;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "dfc");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "dfc_step_worker_main");
	snprintf(worker.bgw_type, BGW_MAXLEN, "dfc step worker");
	worker.bgw_notify_pid = 0;

	for (int i = 0; i < dfc_workers; i++)
	{
		snprintf(worker.bgw_name, BGW_MAXLEN, "dfc step worker %d", i + 1);
		worker.bgw_main_arg = Int32GetDatum(i);
		RegisterBackgroundWorker(&worker);
	}
}

/* ---------------------------------------------------------------------
 * Waking the step workers
 * ---------------------------------------------------------------------
 */

/*
 * Sends the interrupts asked for by the committing transaction: to every
 * step worker of this database whose current item is one of them.  The
 * worker's SIGINT handler checks again that it still runs that item.
 */
static void
send_interrupts(void)
{
	for (int i = 0; i < dfc_shared->nslots; i++)
	{
		DfcWorkerSlot *slot = &dfc_shared->slots[i];
		uint64		current = pg_atomic_read_u64(&slot->current_item);
		pid_t		pid = slot->pid;

		if (slot->database != MyDatabaseId || current == 0 || pid == 0)
			continue;
		for (int j = 0; j < interrupt_count; j++)
		{
			if ((uint64) interrupt_items[j] == current)
			{
				pg_atomic_write_u64(&slot->cancel_item, current);
				if (kill(pid, SIGINT) != 0)
					elog(DEBUG1, "dfc could not interrupt process %d: %m", (int) pid);
				break;
			}
		}
	}
}

static void
dfc_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (interrupt_count > 0 && dfc_shared != NULL)
				send_interrupts();
			interrupt_count = 0;
			if (wake_at_commit && dfc_shared != NULL)
			{
				for (int i = 0; i < dfc_shared->nslots; i++)
				{
					DfcWorkerSlot *slot = &dfc_shared->slots[i];
					int			pgprocno = slot->pgprocno;

					if (slot->database == MyDatabaseId && pgprocno >= 0)
						SetLatch(&GetPGProcByNumber(pgprocno)->procLatch);
				}
			}
			wake_at_commit = false;
			if (role_settings_changed && dfc_shared != NULL)
				pg_atomic_fetch_add_u64(&dfc_shared->role_settings_generation, 1);
			role_settings_changed = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			/* a prepared transaction's work is found by the idle re-check */
			wake_at_commit = false;
			interrupt_count = 0;
			role_settings_changed = false;
			break;
		default:
			break;
	}
}

/*
 * df._wake(): at commit, set the latches of this database's step workers;
 * also NOTIFY df_wake for workers outside the server (dfc worker).
 */
Datum
dfc_wake(PG_FUNCTION_ARGS)
{
	register_xact_callback();
	wake_at_commit = true;
	Async_Notify("df_wake", "");
	PG_RETURN_VOID();
}

static void
register_xact_callback(void)
{
	if (!xact_callback_registered)
	{
		RegisterXactCallback(dfc_xact_callback, NULL);
		xact_callback_registered = true;
	}
}

/*
 * df._interrupt(item bigint): at commit, cancel the statement of the step
 * worker running this queue item (df.cancel, a decided race).  Only at
 * commit: the interrupted step then fails in a new transaction that sees
 * why (the instance cancelled, the fork decided), and is just removed.
 */
Datum
dfc_interrupt(PG_FUNCTION_ARGS)
{
	int64		item = PG_GETARG_INT64(0);

	register_xact_callback();
	if (interrupt_count < DFC_MAX_INTERRUPTS)
		interrupt_items[interrupt_count++] = item;
	else
		ereport(DEBUG1,
				(errmsg("dfc: too many interrupts in one transaction, queue item " INT64_FORMAT " runs to its end", item)));
	PG_RETURN_VOID();
}

/* ---------------------------------------------------------------------
 * Running a step's SQL as its submitter
 * ---------------------------------------------------------------------
 */

/* ---------------------------------------------------------------------
 * Statistics of the step workers (df.stats)
 * ---------------------------------------------------------------------
 */

/* A step ended in this worker (each slot is written by its worker only). */
static void
count_step(void)
{
	TimestampTz now = GetCurrentTimestamp();
	int64		second = now / USECS_PER_SEC;
	int			b = (int) (second % 60);

	if (my_slot == NULL)
		return;
	pg_atomic_write_u64(&my_slot->steps, pg_atomic_read_u64(&my_slot->steps) + 1);
	if (my_slot->second_of[b] != second)
	{
		my_slot->steps_in[b] = 0;
		my_slot->second_of[b] = second;
	}
	my_slot->steps_in[b]++;
	pg_atomic_write_u64(&my_slot->last_step_at, (uint64) now);
}

/*
 * df._step_failed(): called by df._fail, which records every failed step; in
 * a step worker it counts the failure, elsewhere it does nothing.
 */
Datum
dfc_step_failed(PG_FUNCTION_ARGS)
{
	if (my_slot != NULL)
		pg_atomic_write_u64(&my_slot->failures, pg_atomic_read_u64(&my_slot->failures) + 1);
	PG_RETURN_VOID();
}

/*
 * df._worker_stats(): one row per step worker running in this database:
 * worker, pid, started_at, running_item, steps, failures, steps_last_minute,
 * last_step_at.  Read without locks: a figure may be a step behind.
 */
Datum
dfc_worker_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		now_second = GetCurrentTimestamp() / USECS_PER_SEC;

	InitMaterializedSRF(fcinfo, 0);
	if (dfc_shared == NULL)
		return (Datum) 0;
	for (int i = 0; i < dfc_shared->nslots; i++)
	{
		DfcWorkerSlot *slot = &dfc_shared->slots[i];
		Datum		values[8];
		bool		nulls[8] = {false};
		uint64		running = pg_atomic_read_u64(&slot->current_item);
		uint64		last = pg_atomic_read_u64(&slot->last_step_at);
		int64		minute = 0;
		pid_t		pid = slot->pid;

		if (slot->database != MyDatabaseId || pid == 0)
			continue;
		for (int b = 0; b < 60; b++)
			if (slot->second_of[b] > now_second - 60 && slot->second_of[b] <= now_second)
				minute += slot->steps_in[b];
		values[0] = Int32GetDatum(i + 1);
		values[1] = Int32GetDatum((int32) pid);
		values[2] = TimestampTzGetDatum(slot->started_at);
		values[3] = Int64GetDatum((int64) running);
		nulls[3] = running == 0;
		values[4] = Int64GetDatum((int64) pg_atomic_read_u64(&slot->steps));
		values[5] = Int64GetDatum((int64) pg_atomic_read_u64(&slot->failures));
		values[6] = Int64GetDatum(minute);
		values[7] = TimestampTzGetDatum((TimestampTz) last);
		nulls[7] = last == 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* df._step_role(): the submitter whose step this backend is running. */
Datum
dfc_step_role(PG_FUNCTION_ARGS)
{
	if (!OidIsValid(current_step_role))
		PG_RETURN_NULL();
	PG_RETURN_OID(current_step_role);
}

/*
 * df._call(fn regprocedure, a text, b integer): fn(a, b), looked up once per
 * calling expression instead of parsed and planned as dynamic SQL on every
 * call.  fn must take (text, integer), return what df._call is declared to
 * return, and be executable by the current user.
 */
#if PG_VERSION_NUM >= 160000
#define object_aclcheck_compat(fn) object_aclcheck(ProcedureRelationId, (fn), GetUserId(), ACL_EXECUTE)
#else
#define object_aclcheck_compat(fn) pg_proc_aclcheck((fn), GetUserId(), ACL_EXECUTE)
#endif

typedef struct CallCache
{
	Oid			fn;
	FmgrInfo	flinfo;
} CallCache;

Datum
dfc_call2(PG_FUNCTION_ARGS)
{
	Oid			fn = PG_GETARG_OID(0);
	CallCache  *cache = (CallCache *) fcinfo->flinfo->fn_extra;
	LOCAL_FCINFO(callinfo, 2);
	Datum		result;

	if (cache == NULL || cache->fn != fn)
	{
		HeapTuple	proctup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
		Form_pg_proc proc;
		bool		fits;

		if (!HeapTupleIsValid(proctup))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("function with OID %u does not exist", fn)));
		proc = (Form_pg_proc) GETSTRUCT(proctup);
		fits = proc->pronargs == 2 && proc->proargtypes.values[0] == TEXTOID
			&& proc->proargtypes.values[1] == INT4OID && !proc->proretset
			&& proc->prorettype == get_func_rettype(fcinfo->flinfo->fn_oid);
		ReleaseSysCache(proctup);
		if (!fits)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("function %s does not take (text, integer) and return %s",
							format_procedure(fn),
							format_type_be(get_func_rettype(fcinfo->flinfo->fn_oid)))));
		if (object_aclcheck_compat(fn) != ACLCHECK_OK)
			aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FUNCTION, get_func_name(fn));
		if (cache == NULL)
			cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CallCache));
		fmgr_info_cxt(fn, &cache->flinfo, fcinfo->flinfo->fn_mcxt);
		cache->fn = fn;
		fcinfo->flinfo->fn_extra = cache;
	}

	InitFunctionCallInfoData(*callinfo, &cache->flinfo, 2, PG_GET_COLLATION(), NULL, NULL);
	callinfo->args[0].value = PG_GETARG_DATUM(1);
	callinfo->args[0].isnull = PG_ARGISNULL(1);
	callinfo->args[1].value = PG_GETARG_DATUM(2);
	callinfo->args[1].isnull = PG_ARGISNULL(2);
	result = FunctionCallInvoke(callinfo);
	if (callinfo->isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

static void append_json_value(StringInfo buf, Datum value, bool isnull, Oid typid);

/* The elements of one dimension of an array (and the dimensions inside it), from *next on. */
static void
append_json_dimension(StringInfo buf, int dim, int ndim, const int *dims, Datum *elems, bool *nulls,
					  int *next, Oid elemtype)
{
	appendStringInfoChar(buf, '[');
	for (int i = 0; i < dims[dim]; i++)
	{
		if (i > 0)
			appendStringInfoChar(buf, ',');
		if (dim + 1 < ndim)
			append_json_dimension(buf, dim + 1, ndim, dims, elems, nulls, next, elemtype);
		else
		{
			append_json_value(buf, elems[*next], nulls[*next], elemtype);
			(*next)++;
		}
	}
	appendStringInfoChar(buf, ']');
}

/*
 * An array as JSON arrays (nested for several dimensions), each element
 * encoded as a column value of its type would be: NaN null, numeric a string
 * keeping its scale, as the scalars.
 */
static void
append_json_array(StringInfo buf, Datum value)
{
	ArrayType  *arr = DatumGetArrayTypeP(value);
	Oid			elemtype = ARR_ELEMTYPE(arr);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int			next = 0;

	if (ARR_NDIM(arr) == 0)
	{
		appendStringInfoString(buf, "[]");
		return;
	}
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elemtype, typlen, typbyval, typalign, &elems, &nulls, &nelems);
	append_json_dimension(buf, 0, ARR_NDIM(arr), ARR_DIMS(arr), elems, nulls, &next, elemtype);
}

/* Appends one column value encoded as RUNTIME.md section 3 says. */
static void
append_json_value(StringInfo buf, Datum value, bool isnull, Oid typid)
{
	Oid			basetype;
	Oid			outfunc;
	bool		isvarlena;

	if (isnull)
	{
		appendStringInfoString(buf, "null");
		return;
	}

	basetype = getBaseType(typid);
	switch (basetype)
	{
		case BOOLOID:
			appendStringInfoString(buf, DatumGetBool(value) ? "true" : "false");
			return;
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
			getTypeOutputInfo(basetype, &outfunc, &isvarlena);
			appendStringInfoString(buf, OidOutputFunctionCall(outfunc, value));
			return;
		case FLOAT4OID:
		case FLOAT8OID:
			{
				double		d = (basetype == FLOAT4OID) ?
				DatumGetFloat4(value) : DatumGetFloat8(value);

				if (isnan(d) || isinf(d))
					appendStringInfoString(buf, "null");
				else
				{
					getTypeOutputInfo(basetype, &outfunc, &isvarlena);
					appendStringInfoString(buf, OidOutputFunctionCall(outfunc, value));
				}
				return;
			}
		case JSONOID:
		case JSONBOID:
			getTypeOutputInfo(basetype, &outfunc, &isvarlena);
			appendStringInfoString(buf, OidOutputFunctionCall(outfunc, value));
			return;
		default:
			break;
	}

	if (type_is_array(basetype))
	{
		append_json_array(buf, value);
		return;
	}

	/* numeric (keeping its scale), dates, timestamps, uuid, text, ... */
	getTypeOutputInfo(typid, &outfunc, &isvarlena);
	escape_json(buf, OidOutputFunctionCall(outfunc, value));
}

static char *
encode_result(SPITupleTable *tuptable, uint64 processed, char **columns)
{
	StringInfoData buf;
	StringInfoData cols;
	TupleDesc	tupdesc = tuptable ? tuptable->tupdesc : NULL;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"rows\":[");
	if (tuptable != NULL)
	{
		for (uint64 row = 0; row < processed; row++)
		{
			HeapTuple	tuple = tuptable->vals[row];
			bool		first = true;

			if (row > 0)
				appendStringInfoChar(&buf, ',');
			appendStringInfoChar(&buf, '{');
			for (int col = 0; col < tupdesc->natts; col++)
			{
				Form_pg_attribute att = TupleDescAttr(tupdesc, col);
				Datum		value;
				bool		isnull;

				if (att->attisdropped)
					continue;
				if (!first)
					appendStringInfoChar(&buf, ',');
				first = false;
				escape_json(&buf, NameStr(att->attname));
				appendStringInfoChar(&buf, ':');
				value = heap_getattr(tuple, col + 1, tupdesc, &isnull);
				append_json_value(&buf, value, isnull, att->atttypid);
			}
			appendStringInfoChar(&buf, '}');
		}
	}
	appendStringInfo(&buf, "],\"row_count\":" UINT64_FORMAT "}", processed);
	initStringInfo(&cols);
	appendStringInfoChar(&cols, '[');
	if (tupdesc != NULL)
	{
		bool		first = true;

		for (int col = 0; col < tupdesc->natts; col++)
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, col);

			if (att->attisdropped)
				continue;
			if (!first)
				appendStringInfoChar(&cols, ',');
			first = false;
			appendStringInfoString(&cols, "{\"name\":");
			escape_json(&cols, NameStr(att->attname));
			appendStringInfoString(&cols, ",\"type\":");
			escape_json(&cols, format_type_with_typemod(att->atttypid, att->atttypmod));
			appendStringInfoChar(&cols, '}');
		}
	}
	appendStringInfoChar(&cols, ']');
	*columns = cols.data;
	return buf.data;
}

/* Settings every step runs with, whatever the database or session says. */
static const char *const step_settings[][3] = {
	/* name, value, prefix of the current value that already has it */
	{"standard_conforming_strings", "on", "on"},
	{"datestyle", "ISO", "ISO,"},	/* the output style only: keeps the order */
	{"intervalstyle", "postgres", "postgres"},
	{"extra_float_digits", "1", "1"},
};

/*
 * Puts step_settings in place where they are not (a step's own changes are
 * reverted when its GUC nest level ends, whether set here or not).
 */
static void
apply_step_settings(void)
{
	for (int i = 0; i < lengthof(step_settings); i++)
	{
		const char *current = GetConfigOption(step_settings[i][0], false, false);

		if (current != NULL && strncmp(current, step_settings[i][2], strlen(step_settings[i][2])) == 0
			&& (current[strlen(step_settings[i][2])] == '\0' || step_settings[i][2][strlen(step_settings[i][2]) - 1] == ','))
			continue;
		(void) set_config_option(step_settings[i][0], step_settings[i][1],
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	}
}

/*
 * Plans of step SQL, kept for the session.  A step's SQL is usually the same
 * text every time its node runs (only steps with references differ from one
 * instance to the next), and parsing and planning it cost more than running
 * a trivial statement.  A text is prepared the second time it has run
 * without error in this session, when it is exactly one SELECT, INSERT,
 * UPDATE, DELETE or MERGE (analysing several statements at once would see
 * none of the effects of the earlier ones, and utility statements are not
 * planned).  At most dfc.step_plans plans are kept, the least recently used
 * one making room (a plan is 5-20 kB), and at most STEP_TEXTS_MAX texts not
 * prepared are remembered.  PostgreSQL's plan cache replans a kept plan when
 * what it depends on changes: tables and functions, the search_path, the
 * role when row security applies; privileges are checked at each execution,
 * as the role running it.
 */
#define STEP_TEXTS_MAX 256

typedef struct StepPlan
{
	uint64		hash;			/* key: hash of the text */
	char	   *sql;			/* the text (TopMemoryContext) */
	bool		unpreparable;	/* not one plannable statement */
	SPIPlanPtr	plan;			/* NULL: not prepared (now) */
	dlist_node	recent;			/* in step_plans_recent while prepared */
} StepPlan;

static HTAB *step_plans = NULL;
static volatile int step_sql_depth = 0;	/* run_sql_as calls running (the cache is for the outermost);
												 * read by dfc_sigint_handler */
static dlist_head step_plans_recent = DLIST_STATIC_INIT(step_plans_recent);	/* most recent first */
static int	step_plans_kept = 0;

static uint64
step_sql_hash(const char *sql)
{
	return hash_bytes_extended((const unsigned char *) sql, (int) strlen(sql), 0);
}

/* Frees the plan used least recently (its text stays known). */
static void
drop_oldest_step_plan(void)
{
	StepPlan   *oldest = dlist_tail_element(StepPlan, recent, &step_plans_recent);

	SPIPlanPtr	plan = oldest->plan;

	dlist_delete(&oldest->recent);
	step_plans_kept--;
	oldest->plan = NULL;
	SPI_freeplan(plan);
}

/*
 * Whether sql, which parsed before, is one statement that has a plan, and one
 * whose kept plan gives what running it afresh would: not with a date/time
 * input such as 'now' or 'today', which parse analysis turns into a constant.
 */
static bool
one_plannable_statement(const char *sql)
{
	static const char *const moments[] = {"now", "today", "tomorrow", "yesterday"};
	List	   *raw;
	Node	   *stmt;

	for (int i = 0; i < lengthof(moments); i++)
		if (strcasestr(sql, moments[i]) != NULL)
			return false;
	raw = raw_parser(sql, RAW_PARSE_DEFAULT);
	if (list_length(raw) != 1)
		return false;
	stmt = linitial_node(RawStmt, raw)->stmt;
	switch (nodeTag(stmt))
	{
		case T_SelectStmt:
			/* SELECT ... INTO is CREATE TABLE AS */
			return ((SelectStmt *) stmt)->intoClause == NULL;
		case T_InsertStmt:
		case T_UpdateStmt:
		case T_DeleteStmt:
		case T_MergeStmt:
			return true;
		default:
			return false;
	}
}

/* The kept plan of sql, or NULL: run it as text (SPI connected). */
static SPIPlanPtr
step_plan(const char *sql)
{
	uint64		hash;
	StepPlan   *entry;
	SPIPlanPtr	plan;

	if (step_plans == NULL)
		return NULL;
	while (step_plans_kept > dfc_step_plans)	/* (the setting was lowered) */
		drop_oldest_step_plan();
	hash = step_sql_hash(sql);
	entry = hash_search(step_plans, &hash, HASH_FIND, NULL);
	if (entry == NULL || strcmp(entry->sql, sql) != 0)
		return NULL;			/* (another text with the same hash stays unprepared) */
	if (entry->plan != NULL)
	{
		dlist_move_head(&step_plans_recent, &entry->recent);
		return entry->plan;
	}
	if (entry->unpreparable || dfc_step_plans == 0)
		return NULL;
	if (!one_plannable_statement(sql))
	{
		entry->unpreparable = true;
		return NULL;
	}
	/* an error here is the one running the text would raise */
	plan = SPI_prepare(sql, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	if (step_plans_kept >= dfc_step_plans)
		drop_oldest_step_plan();
	entry->plan = plan;
	dlist_push_head(&step_plans_recent, &entry->recent);
	step_plans_kept++;
	return plan;
}

/* sql ran without error as text: remember it, to prepare it if it comes again. */
static void
step_sql_seen(const char *sql)
{
	uint64		hash = step_sql_hash(sql);
	StepPlan   *entry;
	char	   *copy;
	bool		found;

	if (step_plans == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(uint64);
		ctl.entrysize = sizeof(StepPlan);
		step_plans = hash_create("dfc step plans", STEP_TEXTS_MAX, &ctl, HASH_ELEM | HASH_BLOBS);
	}
	if (hash_search(step_plans, &hash, HASH_FIND, NULL) != NULL)
		return;
	if (hash_get_num_entries(step_plans) - step_plans_kept >= STEP_TEXTS_MAX)
	{
		/* forget the texts that have no plan */
		HASH_SEQ_STATUS seq;

		hash_seq_init(&seq, step_plans);
		while ((entry = hash_seq_search(&seq)) != NULL)
		{
			if (entry->plan != NULL)
				continue;
			pfree(entry->sql);
			hash_search(step_plans, &entry->hash, HASH_REMOVE, NULL);
		}
	}
	copy = MemoryContextStrdup(TopMemoryContext, sql);
	entry = hash_search(step_plans, &hash, HASH_ENTER, &found);
	entry->sql = copy;
	entry->unpreparable = false;
	entry->plan = NULL;
}

/* See firing_step_triggers. */
static void
dfc_ProcessUtility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
				   ProcessUtilityContext context, ParamListInfo params, QueryEnvironment *queryEnv,
				   DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	/* (step workers read a role's settings again once this commits) */
	if (IsA(parsetree, AlterRoleSetStmt))
	{
		role_settings_changed = true;
		register_xact_callback();
	}
	if (firing_step_triggers && IsA(parsetree, ConstraintsSetStmt) && ((ConstraintsSetStmt *) parsetree)->deferred)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("constraints cannot be deferred while a step's deferred triggers fire"),
				 errdetail("A step's deferred triggers fire when the step ends, as its submitter; anything deferred then would fire at commit with the worker's privileges.")));
	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
}

/*
 * The submitter whose steps this session's cached plans were made for.
 * PostgreSQL checks EXECUTE on a function when it plans a statement, and a
 * kept plan holds an inlined SQL function's body, or an immutable function's
 * value, without calling it again: a plan made while one submitter's step ran
 * (the step plans below, and those PL/pgSQL keeps for every function a step
 * calls) must not serve another's, who may lack that privilege.  So when the
 * submitter changes, every cached plan of the session is invalidated and made
 * again, as its role, when next used.
 */
static Oid	plans_role = InvalidOid;

static void
plans_for_role(Oid role)
{
	if (role == plans_role)
		return;
	if (OidIsValid(plans_role))
		ResetPlanCache();
	plans_role = role;
}

/* Whether a step may run as "role" (each time a step's SQL runs). */
static void
check_step_role(Oid role)
{
	if (!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(role)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u does not exist", role),
				 errdetail("The role that started this instance was dropped.")));

	/*
	 * Checked here, each time a step's SQL runs, not only at start: the role
	 * may have become a superuser, or the setting may have been turned off,
	 * since.
	 */
	if (superuser_arg(role) && !dfc_allow_superuser)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("steps of instances submitted by a superuser are not allowed"),
				 errhint("Set dfc.allow_superuser = on in the server configuration.")));
	plans_for_role(role);
}

/*
 * The submitter's own settings: what ALTER ROLE ... SET and ALTER ROLE ... IN
 * DATABASE ... SET (this database's, which win) give a session of that role
 * when it connects, such as statement_timeout, lock_timeout, search_path or
 * work_mem.  A step runner's session was not opened by the submitter, so it
 * puts them in place around each step, like a SECURITY DEFINER function's
 * SET clause (reverted with the step's GUC nest level).  Except those in
 * role_settings_skipped, and a value that cannot be applied in a running
 * session (a setting only read at connection) is skipped.  Read again when
 * the submitter changes, when an ALTER ROLE ... SET commits (a generation
 * in shared memory, bumped by dfc_ProcessUtility's sessions) and at least
 * every second (for a session whose library was not preloaded).
 */
typedef struct RoleSetting
{
	char	   *name;
	char	   *value;
} RoleSetting;

static const char *const role_settings_skipped[] = {
	/* applied by the runner, which may be a superuser: they would name another role to run as */
	"role", "session_authorization",
	/* df.running_steps and df._interrupt find a dfc worker's step by its name */
	"application_name",
	/* the instance's TimeZone is the one captured at start */
	"timezone",
	/* its privilege check would see the runner, not the submitter */
	"temp_tablespaces",
	/* a session's: it would end the runner's session */
	"idle_in_transaction_session_timeout", "idle_session_timeout", "transaction_timeout",
};

static Oid	role_settings_role = InvalidOid;
static TimestampTz role_settings_read = 0;
static uint64 role_settings_generation = 0;
static List *role_settings = NIL;	/* of RoleSetting, in TopMemoryContext */

/* Appends the settings of (database, role) in pg_db_role_setting to *out. */
static void
read_role_settings(Relation rel, Oid database, Oid role, List **out)
{
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;

	ScanKeyInit(&keys[0], Anum_pg_db_role_setting_setdatabase, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(database));
	ScanKeyInit(&keys[1], Anum_pg_db_role_setting_setrole, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(role));
	scan = systable_beginscan(rel, DbRoleSettingDatidRolidIndexId, true, NULL, 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		config = heap_getattr(tuple, Anum_pg_db_role_setting_setconfig, RelationGetDescr(rel), &isnull);
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		if (isnull)
			continue;
		deconstruct_array(DatumGetArrayTypeP(config), TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		for (int i = 0; i < n; i++)
		{
			char	   *item;
			char	   *eq;
			RoleSetting *setting;
			MemoryContext old;

			if (nulls[i])
				continue;
			item = TextDatumGetCString(elems[i]);
			eq = strchr(item, '=');
			if (eq == NULL)
				continue;
			*eq = '\0';
			for (int k = 0; k < lengthof(role_settings_skipped); k++)
				if (pg_strcasecmp(item, role_settings_skipped[k]) == 0)
					*item = '\0';
			if (*item == '\0')
				continue;
			old = MemoryContextSwitchTo(TopMemoryContext);
			setting = palloc(sizeof(RoleSetting));
			setting->name = pstrdup(item);
			setting->value = pstrdup(eq + 1);
			*out = lappend(*out, setting);
			MemoryContextSwitchTo(old);
		}
	}
	systable_endscan(scan);
}

/* Puts the role's settings in place (inside the step's GUC nest level). */
static void
apply_role_settings(Oid role)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	uint64		generation = dfc_shared != NULL ? pg_atomic_read_u64(&dfc_shared->role_settings_generation) : 0;
	ListCell   *lc;

	if (role != role_settings_role || generation != role_settings_generation
		|| now - role_settings_read >= USECS_PER_SEC || now < role_settings_read)
	{
		Relation	rel;
		List	   *fresh = NIL;

		rel = table_open(DbRoleSettingRelationId, AccessShareLock);
		/* all databases' first: this database's come later and win */
		read_role_settings(rel, InvalidOid, role, &fresh);
		read_role_settings(rel, MyDatabaseId, role, &fresh);
		table_close(rel, AccessShareLock);
		foreach(lc, role_settings)
		{
			RoleSetting *old = lfirst(lc);

			pfree(old->name);
			pfree(old->value);
		}
		list_free_deep(role_settings);
		role_settings = fresh;
		role_settings_role = role;
		role_settings_read = now;
		role_settings_generation = generation;
	}
	foreach(lc, role_settings)
	{
		RoleSetting *setting = lfirst(lc);

		(void) set_config_option(setting->name, setting->value, PGC_SUSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, DEBUG1, false);
	}
}

/*
 * df._run_as(role oid, sql text) returns json
 *
 * Runs one statement with exactly the privileges of "role".  The identity
 * switch uses SECURITY_LOCAL_USERID_CHANGE, as SECURITY DEFINER functions do,
 * so SET ROLE, RESET ROLE and SET SESSION AUTHORIZATION are refused inside
 * the statement.  The statement sees the database's default search_path,
 * with "$user" meaning the submitter, not the runtime's fixed one, and
 * the step_settings above.  Meant for the dedicated session of a step
 * runner: it drops the session's temporary tables afterwards.
 */
static void
run_sql_as(Oid role, const char *sql, char **result, char **columns)
{
	MemoryContext callerctx = CurrentMemoryContext;
	Oid			save_userid;
	int			save_sec_context;
	Oid			save_step_role = current_step_role;
	int			save_nestlevel;
	bool		outermost;
	volatile bool timed = false;

	check_step_role(role);

	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path",
							 GetConfigOptionResetString("search_path"),
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	apply_role_settings(role);

	/*
	 * Referenced values were rendered as '...' literals with quotes doubled,
	 * which is only safe to parse with standard_conforming_strings on (else a
	 * backslash in a value could end the literal): an ALTER DATABASE ... SET
	 * must not turn that into an injection.  The others keep the encoding of
	 * results (ISO dates, exact floats) independent of such settings too.
	 */
	apply_step_settings();

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(role, save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	current_step_role = role;

	/*
	 * (A step's SQL that runs df._run_as itself must not free the plan
	 * running around it: only the outermost call uses the plan cache.)
	 */
	outermost = step_sql_depth++ == 0;

	PG_TRY();
	{
		int			ret;
		MemoryContext oldctx;
		SPIPlanPtr	plan;

		if ((ret = SPI_connect()) != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));

		/*
		 * statement_timeout (the submitter's, see apply_role_settings, else
		 * the server's): the step is the statement.  A client session arms
		 * it when a statement starts; a step worker has none, so it is armed
		 * here (in a dfc worker's session the client's statement has it).
		 */
		if (outermost && IsBackgroundWorker && StatementTimeout > 0)
		{
			enable_timeout_after(STATEMENT_TIMEOUT, StatementTimeout);
			timed = true;
		}
		plan = outermost ? step_plan(sql) : NULL;
		if (plan != NULL)
			ret = SPI_execute_plan(plan, NULL, NULL, false, 0);
		else
			ret = SPI_execute(sql, false, 0);
		if (ret == SPI_ERROR_TRANSACTION)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
					 errmsg("a step cannot start or end transactions (BEGIN, COMMIT, ROLLBACK, SAVEPOINT)"),
					 errhint("Each step is a transaction of its own: make the parts separate steps.")));
		if (ret == SPI_ERROR_COPY)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("COPY to or from the client cannot run in a step"),
					 errhint("A step has no client: COPY to or from a server file or program, or INSERT ... SELECT.")));
		if (ret < 0)
			elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(ret));
		if (timed)
		{
			/* a timeout that fired just now: reported as such, here */
			disable_timeout(STATEMENT_TIMEOUT, true);
			CHECK_FOR_INTERRUPTS();
			(void) get_timeout_indicator(STATEMENT_TIMEOUT, true);
			timed = false;
		}

		/*
		 * Build the result outside SPI's memory, which SPI_finish frees, with
		 * the settings the encoding relies on (ISO dates) even if the step
		 * changed them (SET datestyle = German; SELECT current_date).
		 */
		apply_step_settings();
		oldctx = MemoryContextSwitchTo(callerctx);
		*result = encode_result(SPI_tuptable, SPI_processed, columns);
		MemoryContextSwitchTo(oldctx);

		/*
		 * Work the statement left for commit time would run after the
		 * identity is switched back, with the worker's privileges: deferred
		 * constraint triggers fire now, as the submitter, and cursors
		 * declared WITH HOLD (materialized at commit, then kept in this
		 * session for the next submitter's step) are closed.
		 */
		{
			/* SET CONSTRAINTS ALL IMMEDIATE, CLOSE ALL, without parsing them */
			ConstraintsSetStmt *all_immediate = makeNode(ConstraintsSetStmt);

			all_immediate->constraints = NIL;
			all_immediate->deferred = false;
			firing_step_triggers = true;
			AfterTriggerSetState(all_immediate);
			firing_step_triggers = false;
			PerformPortalClose(NULL);
		}
		SPI_finish();
		if (outermost && plan == NULL)
			step_sql_seen(sql);
	}
	PG_FINALLY();
	{
		if (timed)
		{
			/*
			 * (an error: a cancel the timeout requested meanwhile must not
			 * reach the runtime's statements after it, unless a df.cancel
			 * wants this item stopped too)
			 */
			disable_timeout(STATEMENT_TIMEOUT, true);
			if (get_timeout_indicator(STATEMENT_TIMEOUT, true)
				&& !(my_slot != NULL && pg_atomic_read_u64(&my_slot->current_item) != 0
					 && pg_atomic_read_u64(&my_slot->current_item) == pg_atomic_read_u64(&my_slot->cancel_item)))
				QueryCancelPending = false;
		}
		firing_step_triggers = false;
		step_sql_depth--;
		SetUserIdAndSecContext(save_userid, save_sec_context);
		current_step_role = save_step_role;
	}
	PG_END_TRY();

	/*
	 * A step runner's session serves every submitter in turn: what a step
	 * left in it must not reach the next one.  Settings it changed (even with
	 * a plain SET) are reverted, as a function's SET clause would on error,
	 * and the session's temporary objects are dropped (LISTEN is refused in
	 * background workers).  On error the transaction abort reverts settings
	 * and temporary objects itself.  Prepared statements and advisory locks
	 * survive both; the worker discards them after each step
	 * (discard_step_leftovers).
	 */
	AtEOXact_GUC(false, save_nestlevel);
	{
		Oid			temp_namespace;
		Oid			temp_toast_namespace;

		GetTempNamespaceState(&temp_namespace, &temp_toast_namespace);
		if (OidIsValid(temp_namespace))
			ResetTempTableNamespace();
	}

}

/*
 * The JSON built above is valid by construction: returned as json values
 * directly (json's representation is its text), not parsed again by json_in.
 */
Datum
dfc_run_as(PG_FUNCTION_ARGS)
{
	char	   *result;
	char	   *columns;
	StringInfoData buf;

	run_sql_as(PG_GETARG_OID(0), text_to_cstring(PG_GETARG_TEXT_PP(1)), &result, &columns);
	/* {"rows":[...],"row_count":n,"columns":[...]} */
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, result, strlen(result) - 1);
	appendStringInfoString(&buf, ",\"columns\":");
	appendStringInfoString(&buf, columns);
	appendStringInfoChar(&buf, '}');
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}

/*
 * df._run_sql(role, sql, OUT result json, OUT columns json): df._run_as's
 * result as its two parts, {"rows":[...],"row_count":n} and the columns.
 */
Datum
dfc_run_sql(PG_FUNCTION_ARGS)
{
	char	   *result;
	char	   *columns;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "df._run_sql must return a record");
	tupdesc = BlessTupleDesc(tupdesc);
	run_sql_as(PG_GETARG_OID(0), text_to_cstring(PG_GETARG_TEXT_PP(1)), &result, &columns);
	values[0] = PointerGetDatum(cstring_to_text(result));
	values[1] = PointerGetDatum(cstring_to_text(columns));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---------------------------------------------------------------------
 * The step worker
 * ---------------------------------------------------------------------
 */

static void
dfc_detach_slot(int code, Datum arg)
{
	int			index = DatumGetInt32(arg);

	uint64		running = pg_atomic_read_u64(&dfc_shared->slots[index].current_item);

	/*
	 * Exiting in the middle of a step (a step that terminated its own
	 * backend, say): the slot's next worker reports it, so that a step that
	 * keeps ending its worker fails after a few tries instead of forever.
	 */
	if (running != 0)
		pg_atomic_write_u64(&dfc_shared->slots[index].died_item, running);
	dfc_shared->slots[index].pgprocno = -1;
	dfc_shared->slots[index].pid = 0;
	pg_atomic_write_u64(&dfc_shared->slots[index].current_item, 0);
	pg_write_barrier();
	dfc_shared->slots[index].database = InvalidOid;
}

/*
 * SIGINT: an interrupt sent by dfc_interrupt.  It cancels the running
 * statement only if this worker still runs the item it was meant for.  Or,
 * while a step's SQL runs, its statement_timeout (armed in run_sql_as) or
 * lock_timeout, whose handlers signal the process so: then it cancels the
 * statement, which reports the timeout.
 */
static void
dfc_sigint_handler(SIGNAL_ARGS)
{
	int			save_errno = errno;

	if (my_slot != NULL)
	{
		uint64		current = pg_atomic_read_u64(&my_slot->current_item);

		if (current != 0 && current == pg_atomic_read_u64(&my_slot->cancel_item))
		{
			InterruptPending = true;
			QueryCancelPending = true;
		}
	}
	if (step_sql_depth > 0
		&& (get_timeout_indicator(STATEMENT_TIMEOUT, false) || get_timeout_indicator(LOCK_TIMEOUT, false)))
	{
		InterruptPending = true;
		QueryCancelPending = true;
	}
	SetLatch(MyLatch);
	errno = save_errno;
}

/* The worker no longer runs a step: later interrupts are not for it. */
static void
clear_current_item(void)
{
	if (my_slot != NULL)
		pg_atomic_write_u64(&my_slot->current_item, 0);
	/* one that arrived too late to stop the step must not hit the next */
	QueryCancelPending = false;
	/* nor a timeout's indicator (a lock wait keeps it), which would name a later cancel */
	(void) get_timeout_indicator(STATEMENT_TIMEOUT, true);
	(void) get_timeout_indicator(LOCK_TIMEOUT, true);
}

static SPIPlanPtr
kept_plan(SPIPlanPtr *plan, const char *sql, int nargs, Oid *argtypes)
{
	if (*plan == NULL)
	{
		SPIPlanPtr	prepared = SPI_prepare(sql, nargs, argtypes);

		if (prepared == NULL)
			elog(ERROR, "SPI_prepare(\"%s\") failed: %s",
				 sql, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(prepared) != 0)
			elog(ERROR, "SPI_keepplan failed");
		*plan = prepared;
	}
	return *plan;
}

/* whether df has df._expire_instances() (a runtime installed before it has not) */
static bool has_expire_function = false;

/* true when schema df has the step functions (checked until it has) */
static bool
runtime_installed(void)
{
	bool		installed;
	bool		isnull;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	SPI_execute("SELECT pg_catalog.to_regprocedure('df._claim()') IS NOT NULL"
				" AND pg_catalog.to_regprocedure('df._run(bigint)') IS NOT NULL,"
				" pg_catalog.to_regprocedure('df._expire_instances()') IS NOT NULL", true, 1);
	installed = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 1, &isnull));
	has_expire_function = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
													 SPI_tuptable->tupdesc, 2, &isnull));
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	return installed;
}

/*
 * Claims one queue item and runs its step, in one transaction.  Returns
 * false when there was nothing to do, having then set next_due to when the
 * earliest parked item comes due (0: none).  *item is set as soon as an item
 * is claimed, so that the caller knows what failed if this raises.
 */
/*
 * HTTP steps.  df._run returns the call of an HTTP step (df._http_call) and
 * parks its item; once the step's transaction has committed, the runner
 * makes the call here, outside any transaction, and reports the outcome with
 * df._http_done in a new one.  Through libcurl: http and https only, no
 * redirect followed (a 3xx is a response like any other), no proxy from the
 * environment, at most HTTP_MAX_BODY bytes of response body.  The address of
 * each connection is checked as it is opened, after name resolution (so a
 * name cannot lead to a private address): loopback and unspecified addresses
 * are refused unless dfc.http_allow_loopback is on, private, link-local,
 * shared and multicast ones unless dfc.http_allow_private is on.
 */
#define HTTP_MAX_BODY (16 * 1024 * 1024)

typedef struct HttpCall
{
	int64		item;
	TimestampTz token;
	char	   *bind;			/* the step's bind name (NULL: none) and next state */
	bool		next_isnull;
	int32		next;
	char	   *url;
	char	   *method;
	char	   *body;			/* NULL: none */
	int			nheaders;
	char	  **headers;		/* "Name: value" */
	int			timeout_ms;
	int			nparts;			/* a multipart/form-data call: its parts */
	char	  **part_names;
	bytea	  **part_data;
	char	  **part_filenames;	/* (elements NULL: none) */
	char	  **part_types;
} HttpCall;

/* What the call brought back; malloc'ed (libcurl's callbacks must not longjmp). */
typedef struct HttpOutcome
{
	char	   *body;
	size_t		body_len;
	size_t		body_cap;
	char	  **headers;		/* header lines of the last response */
	int			nheaders;
	int			headers_cap;
	bool		too_large;
	char		refused[256];	/* why a destination was refused, or "" */
} HttpOutcome;

static MemoryContext http_context = NULL;	/* the pending call and its report */
static HttpCall *pending_http = NULL;

/*
 * What an address is, for the outbound policy: a public address (NULL), or a
 * description and the setting that allows it: dfc.http_allow_loopback for
 * loopback and unspecified addresses (0.0.0.0 reaches this machine),
 * dfc.http_allow_private for everything else that is not public.
 */
typedef struct AddressClass
{
	const char *what;			/* "a loopback address", ... or NULL: public */
	bool		loopback;		/* allowed by dfc.http_allow_loopback, else by dfc.http_allow_private */
} AddressClass;

static AddressClass
ipv4_class(uint32 a)
{
	AddressClass c = {NULL, false};

	if ((a >> 24) == 127)
		c = (AddressClass) {"a loopback address", true};
	else if ((a >> 24) == 0)
		c = (AddressClass) {"an unspecified address", true};
	else if ((a >> 24) == 10 || (a >> 20) == ((172 << 4) | 1) || (a >> 16) == ((192 << 8) | 168))
		c.what = "a private address";
	else if ((a >> 16) == ((169 << 8) | 254))
		c.what = "a link-local address";
	else if ((a >> 22) == ((100 << 2) | 1))
		c.what = "a shared (carrier-grade NAT) address";
	else if ((a >> 8) == ((192 << 16) | 0) || (a >> 17) == ((198 << 7) | (18 >> 1)))
		c.what = "a special-purpose address";
	else if ((a >> 28) >= 14)
		c.what = "a multicast or reserved address";
	return c;
}

/* The class of a destination address; its text in text. */
static AddressClass
address_class(const struct sockaddr *sa, char *text, socklen_t textlen)
{
	AddressClass c = {NULL, false};

	if (sa->sa_family == AF_INET)
	{
		const struct sockaddr_in *in = (const struct sockaddr_in *) sa;

		inet_ntop(AF_INET, &in->sin_addr, text, textlen);
		return ipv4_class(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6)
	{
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) sa;
		const uint8 *b = in6->sin6_addr.s6_addr;
		uint32		last = ((uint32) b[12] << 24) | ((uint32) b[13] << 16) | ((uint32) b[14] << 8) | b[15];
		bool		zero96 = true;

		inet_ntop(AF_INET6, &in6->sin6_addr, text, textlen);
		for (int i = 0; i < 12; i++)
			zero96 &= b[i] == 0;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			return ipv4_class(last);
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return (AddressClass) {"a loopback address", true};
		if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
			return (AddressClass) {"an unspecified address", true};
		if (zero96)				/* IPv4-compatible ::a.b.c.d (deprecated) */
			return ipv4_class(last);
		/* NAT64 64:ff9b::/96 embeds an IPv4 address */
		if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] == 0
			&& b[8] == 0 && b[9] == 0 && b[10] == 0 && b[11] == 0)
			return ipv4_class(last);
		/* 6to4 2002::/16 embeds one in bytes 2-5 */
		if (b[0] == 0x20 && b[1] == 0x02)
			return ipv4_class(((uint32) b[2] << 24) | ((uint32) b[3] << 16) | ((uint32) b[4] << 8) | b[5]);
		if ((b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00)	/* Teredo 2001::/32 */
			|| (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0x00 && b[5] == 0x01)	/* 64:ff9b:1::/48 */
			|| (b[0] == 0x01 && b[1] == 0x00 && b[2] == 0 && b[3] == 0 && b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] == 0))	/* 100::/64 */
			c.what = "a special-purpose address";
		else if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
			c.what = "a link-local address";
		else if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
			c.what = "a site-local address";
		else if ((b[0] & 0xfe) == 0xfc)
			c.what = "a private (unique local) address";
		else if (b[0] == 0xff)
			c.what = "a multicast address";
		return c;
	}
	strlcpy(text, "?", textlen);
	c.what = "not an internet address";
	return c;
}

static curl_socket_t
http_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
	HttpOutcome *out = (HttpOutcome *) clientp;
	char		text[INET6_ADDRSTRLEN + 1] = "?";
	AddressClass c = address_class(&address->addr, text, sizeof(text));

	if (c.what != NULL && !(c.loopback ? dfc_http_allow_loopback : dfc_http_allow_private))
	{
		snprintf(out->refused, sizeof(out->refused), "HTTP destination %s is %s: refused (%s is off)",
				 text, c.what, c.loopback ? "dfc.http_allow_loopback" : "dfc.http_allow_private");
		return CURL_SOCKET_BAD;
	}
	return socket(address->family, address->socktype, address->protocol);
}

static size_t
http_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	HttpOutcome *out = (HttpOutcome *) userdata;
	size_t		n = size * nmemb;

	if (out->body_len + n > HTTP_MAX_BODY)
	{
		out->too_large = true;
		return 0;
	}
	if (out->body_len + n > out->body_cap)
	{
		size_t		cap = Max(Max(out->body_cap * 2, out->body_len + n), 8192);
		char	   *grown = realloc(out->body, cap);

		if (grown == NULL)
			return 0;
		out->body = grown;
		out->body_cap = cap;
	}
	memcpy(out->body + out->body_len, data, n);
	out->body_len += n;
	return n;
}

static void
http_forget_headers(HttpOutcome *out)
{
	for (int i = 0; i < out->nheaders; i++)
		free(out->headers[i]);
	out->nheaders = 0;
}

static size_t
http_header(char *data, size_t size, size_t nitems, void *userdata)
{
	HttpOutcome *out = (HttpOutcome *) userdata;
	size_t		n = size * nitems;
	size_t		len = n;
	char	   *line;

	while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n'))
		len--;
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
	{
		/* the status line of a response (after a 100 Continue, the next) */
		http_forget_headers(out);
		return n;
	}
	if (len == 0)
		return n;
	if (out->nheaders == out->headers_cap)
	{
		int			cap = Max(out->headers_cap * 2, 16);
		char	  **grown = realloc(out->headers, cap * sizeof(char *));

		if (grown == NULL)
			return 0;
		out->headers = grown;
		out->headers_cap = cap;
	}
	if ((line = malloc(len + 1)) == NULL)
		return 0;
	memcpy(line, data, len);
	line[len] = '\0';
	out->headers[out->nheaders++] = line;
	return n;
}

static int
http_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	/*
	 * The worker is told to exit (the item is claimed again later), or the
	 * call's thread was cancelled (df._cancel_threads interrupts it).
	 */
	return (ProcDiePending || QueryCancelPending) ? 1 : 0;
}

/*
 * Makes the call; returns NULL and sets *status, or an error message (in the
 * current memory context) and *sqlstate.
 */
static char *
http_perform(HttpCall *call, HttpOutcome *out, long *status, const char **sqlstate)
{
	static bool curl_ready = false;
	CURL	   *curl;
	struct curl_slist *headers = NULL;
	char		errbuf[CURL_ERROR_SIZE] = "";
	CURLcode	rc;
	char	   *error = NULL;
	curl_mime  *mime = NULL;

	if (!curl_ready)
	{
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		{
			*sqlstate = "58000";
			return pstrdup("could not initialize libcurl");
		}
		curl_ready = true;
	}
	if ((curl = curl_easy_init()) == NULL)
	{
		*sqlstate = "58000";
		return pstrdup("could not create a libcurl handle");
	}
	curl_easy_setopt(curl, CURLOPT_URL, call->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_PROXY, "");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long) call->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "dfc");
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, http_open_socket);
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, out);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, http_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, out);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, http_progress);
	for (int i = 0; i < call->nheaders; i++)
		headers = curl_slist_append(headers, call->headers[i]);
	headers = curl_slist_append(headers, "Expect:");	/* no 100-continue round trip */
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

	if (call->part_names != NULL)
	{
		/* multipart/form-data: libcurl writes the parts and the boundary */
		mime = curl_mime_init(curl);
		for (int i = 0; i < call->nparts; i++)
		{
			curl_mimepart *part = curl_mime_addpart(mime);

			curl_mime_name(part, call->part_names[i]);
			if (call->part_data[i] != NULL)
				curl_mime_data(part, VARDATA_ANY(call->part_data[i]), VARSIZE_ANY_EXHDR(call->part_data[i]));
			else
				curl_mime_data(part, "", 0);
			if (call->part_filenames[i] != NULL)
				curl_mime_filename(part, call->part_filenames[i]);
			if (call->part_types[i] != NULL)
				curl_mime_type(part, call->part_types[i]);
		}
		curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
		if (strcmp(call->method, "POST") != 0)
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call->method);
	}
	else if (strcmp(call->method, "HEAD") == 0)
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	else if (call->body != NULL || strcmp(call->method, "POST") == 0
			 || strcmp(call->method, "PUT") == 0 || strcmp(call->method, "PATCH") == 0)
	{
		const char *body = call->body ? call->body : "";

		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(body));
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		if (strcmp(call->method, "POST") != 0)
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call->method);
	}
	else if (strcmp(call->method, "GET") != 0)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call->method);

	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	else if (out->refused[0] != '\0')
	{
		*sqlstate = "42501";
		error = pstrdup(out->refused);
	}
	else if (out->too_large)
	{
		*sqlstate = "54000";
		error = psprintf("HTTP response body larger than %d MB", HTTP_MAX_BODY / (1024 * 1024));
	}
	else if (rc == CURLE_ABORTED_BY_CALLBACK && QueryCancelPending)
	{
		*sqlstate = "57014";
		error = pstrdup("HTTP request cancelled");
	}
	else if (rc == CURLE_OPERATION_TIMEDOUT)
	{
		*sqlstate = "57014";
		error = psprintf("HTTP request timed out after %g s", call->timeout_ms / 1000.0);
	}
	else
	{
		*sqlstate = "08000";
		error = psprintf("HTTP request failed: %s", errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	curl_mime_free(mime);
	return error;
}

/* The call df._run returned, copied out of SPI's memory (into http_context). */
static HttpCall *
http_call_from(HeapTupleHeader t)
{
	MemoryContext old = MemoryContextSwitchTo(http_context);
	HttpCall   *call = palloc0(sizeof(HttpCall));
	bool		isnull;
	Datum		d;

	call->item = DatumGetInt64(GetAttributeByName(t, "item", &isnull));
	call->token = DatumGetTimestampTz(GetAttributeByName(t, "token", &isnull));
	d = GetAttributeByName(t, "bind", &isnull);
	call->bind = isnull ? NULL : TextDatumGetCString(d);
	d = GetAttributeByName(t, "next", &call->next_isnull);
	call->next = call->next_isnull ? 0 : DatumGetInt32(d);
	d = GetAttributeByName(t, "url", &isnull);
	call->url = isnull ? pstrdup("") : TextDatumGetCString(d);
	d = GetAttributeByName(t, "method", &isnull);
	call->method = isnull ? pstrdup("POST") : TextDatumGetCString(d);
	d = GetAttributeByName(t, "body", &isnull);
	call->body = isnull ? NULL : TextDatumGetCString(d);
	d = GetAttributeByName(t, "headers", &isnull);
	if (!isnull)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		call->headers = palloc(sizeof(char *) * Max(n, 1));
		for (int i = 0; i < n; i++)
			if (!nulls[i])
				call->headers[call->nheaders++] = TextDatumGetCString(elems[i]);
	}
	d = GetAttributeByName(t, "timeout_ms", &isnull);
	call->timeout_ms = isnull ? 30000 : DatumGetInt32(d);
	d = GetAttributeByName(t, "part_names", &isnull);
	if (!isnull)
	{
		Datum	   *names,
				   *data,
				   *filenames,
				   *types;
		bool	   *namenulls,
				   *datanulls,
				   *filenulls,
				   *typenulls;
		int			n,
					ndata,
					nfiles,
					ntypes;

		deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT, &names, &namenulls, &n);
		deconstruct_array(DatumGetArrayTypeP(GetAttributeByName(t, "part_data", &isnull)), BYTEAOID, -1, false,
						  TYPALIGN_INT, &data, &datanulls, &ndata);
		deconstruct_array(DatumGetArrayTypeP(GetAttributeByName(t, "part_filenames", &isnull)), TEXTOID, -1, false,
						  TYPALIGN_INT, &filenames, &filenulls, &nfiles);
		deconstruct_array(DatumGetArrayTypeP(GetAttributeByName(t, "part_types", &isnull)), TEXTOID, -1, false,
						  TYPALIGN_INT, &types, &typenulls, &ntypes);
		if (ndata != n || nfiles != n || ntypes != n)
			elog(ERROR, "df._http_call has parts of different lengths");
		call->nparts = n;
		call->part_names = palloc0(sizeof(char *) * Max(n, 1));
		call->part_data = palloc0(sizeof(bytea *) * Max(n, 1));
		call->part_filenames = palloc0(sizeof(char *) * Max(n, 1));
		call->part_types = palloc0(sizeof(char *) * Max(n, 1));
		for (int i = 0; i < n; i++)
		{
			call->part_names[i] = namenulls[i] ? pstrdup("") : TextDatumGetCString(names[i]);
			call->part_data[i] = datanulls[i] ? NULL : DatumGetByteaPCopy(data[i]);
			call->part_filenames[i] = filenulls[i] ? NULL : TextDatumGetCString(filenames[i]);
			call->part_types[i] = typenulls[i] ? NULL : TextDatumGetCString(types[i]);
		}
	}
	MemoryContextSwitchTo(old);
	return call;
}

/* Text for the database: bytes that are not valid in its encoding become '?'. */
static Datum
http_text(const char *s, size_t len)
{
	char	   *copy = pnstrdup(s, len);

	if (!pg_verifymbstr(copy, (int) len, true))
		for (size_t i = 0; i < len; i++)
			if ((unsigned char) copy[i] >= 0x80 || copy[i] == '\0')
				copy[i] = '?';
	return PointerGetDatum(cstring_to_text(copy));
}

/* Makes the pending call and reports its outcome (df._http_done), in a transaction of its own. */
static void
make_http_call(HttpCall *call)
{
	HttpOutcome out;
	long		status = 0;
	const char *sqlstate = NULL;
	char	   *error;
	instr_time	start;
	instr_time	duration;
	MemoryContext old = MemoryContextSwitchTo(http_context);
	Oid			argtypes[10] = {INT8OID, TIMESTAMPTZOID, TEXTOID, INT4OID, INT4OID, TEXTARRAYOID, BYTEAOID, FLOAT8OID,
	TEXTOID, TEXTOID};
	Datum		args[10];
	char		nulls[10] = {' ', ' ', 'n', 'n', ' ', ' ', ' ', ' ', 'n', 'n'};
	MemoryContext reportctx;
	Datum	   *lines;
	bytea	   *body;

	memset(&out, 0, sizeof(out));
	pgstat_report_activity(STATE_RUNNING, "dfc: making an HTTP call");
	INSTR_TIME_SET_CURRENT(start);
	error = http_perform(call, &out, &status, &sqlstate);
	INSTR_TIME_SET_CURRENT(duration);
	INSTR_TIME_SUBTRACT(duration, start);

	/* what came back, into palloc'ed memory, before anything can raise */
	lines = palloc(sizeof(Datum) * Max(out.nheaders, 1));
	for (int i = 0; i < out.nheaders; i++)
		lines[i] = http_text(out.headers[i], strlen(out.headers[i]));
	body = (bytea *) palloc(VARHDRSZ + out.body_len);
	SET_VARSIZE(body, VARHDRSZ + out.body_len);
	if (out.body_len > 0)
		memcpy(VARDATA(body), out.body, out.body_len);
	args[5] = PointerGetDatum(out.nheaders > 0
							  ? construct_array(lines, out.nheaders, TEXTOID, -1, false, TYPALIGN_INT)
							  : construct_empty_array(TEXTOID));
	http_forget_headers(&out);
	free(out.headers);
	free(out.body);
	MemoryContextSwitchTo(old);

	if (ProcDiePending)
		return;					/* not reported: claimed again when it comes due */
	/* a cancel was for the call, which it ended: not for what records it */
	QueryCancelPending = false;

	args[0] = Int64GetDatum(call->item);
	args[1] = TimestampTzGetDatum(call->token);
	if (call->bind != NULL)
	{
		args[2] = CStringGetTextDatum(call->bind);
		nulls[2] = ' ';
	}
	if (!call->next_isnull)
	{
		args[3] = Int32GetDatum(call->next);
		nulls[3] = ' ';
	}
	args[4] = Int32GetDatum((int32) status);
	args[6] = PointerGetDatum(body);
	args[7] = Float8GetDatum(INSTR_TIME_GET_MILLISEC(duration));
	if (error != NULL)
	{
		args[8] = CStringGetTextDatum(error);
		args[9] = CStringGetTextDatum(sqlstate);
		nulls[8] = nulls[9] = ' ';
	}

	/*
	 * What cannot be recorded now (a deadlock, say) must not fail the step:
	 * the item stays parked and is claimed again when it comes due, and the
	 * call made again (at least once).
	 */
	reportctx = CurrentMemoryContext;
	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		SPI_connect();
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "dfc: recording an HTTP response");
		if (SPI_execute_plan(kept_plan(&http_done_plan, "SELECT df._http_done($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", 10, argtypes),
							 args, nulls, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "SELECT df._http_done() failed");
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(reportctx);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		if (!ProcDiePending)
			ereport(LOG,
					(errmsg("dfc could not record the outcome of the HTTP call of queue item " INT64_FORMAT
							" (it will be made again): %s", call->item, edata->message)));
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

/* ---------------------------------------------------------------------
 * Statements that cannot run inside a transaction block (VACUUM, CREATE
 * INDEX CONCURRENTLY, ...).  df._run parks such a step and returns its SQL
 * and submitter; once the step's transaction has committed the worker runs
 * the statement on its own, at top level, as the submitter, and reports the
 * outcome with df._toplevel_done in a new transaction (at least once, like
 * an HTTP call: RUNTIME.md 1.3).
 * ---------------------------------------------------------------------
 */
typedef struct TopLevelRun
{
	int64		item;
	TimestampTz token;
	char	   *bind;
	bool		next_isnull;
	int32		next;
	char	   *sql;
	Oid			submitter;
} TopLevelRun;

static TopLevelRun *pending_toplevel = NULL;
static SPIPlanPtr toplevel_done_plan = NULL;

/* The statement df._run returned, or NULL for an HTTP call (into http_context). */
static TopLevelRun *
toplevel_run_from(HeapTupleHeader t)
{
	MemoryContext old;
	TopLevelRun *run;
	bool		isnull;
	Datum		d;

	d = GetAttributeByName(t, "sql", &isnull);
	if (isnull)
		return NULL;
	old = MemoryContextSwitchTo(http_context);
	run = palloc0(sizeof(TopLevelRun));
	run->sql = TextDatumGetCString(d);
	run->item = DatumGetInt64(GetAttributeByName(t, "item", &isnull));
	run->token = DatumGetTimestampTz(GetAttributeByName(t, "token", &isnull));
	run->submitter = DatumGetObjectId(GetAttributeByName(t, "submitter", &isnull));
	d = GetAttributeByName(t, "bind", &isnull);
	run->bind = isnull ? NULL : TextDatumGetCString(d);
	d = GetAttributeByName(t, "next", &run->next_isnull);
	run->next = run->next_isnull ? 0 : DatumGetInt32(d);
	MemoryContextSwitchTo(old);
	return run;
}

/*
 * Runs one statement at top level (as psql would send it) with exactly the
 * privileges of "role", in the current transaction, which the statement may
 * commit and start again itself (VACUUM does).  Returns the rows it
 * processed.
 */
static uint64
run_toplevel_as(Oid role, const char *sql)
{
	List	   *parsetrees;
	RawStmt    *raw;
	Oid			save_userid;
	int			save_sec_context;
	QueryCompletion qc;

	check_step_role(role);
	/* the rendered references are '...' literals, safe only so (see run_sql_as) */
	if (!standard_conforming_strings)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a statement that cannot run inside a transaction block needs standard_conforming_strings on")));
	/*
	 * Parse and plan trees where the statement's own commits (VACUUM's)
	 * cannot free them: as exec_simple_query keeps them in MessageContext.
	 */
	MemoryContextSwitchTo(http_context);
	parsetrees = pg_parse_query(sql);
	if (list_length(parsetrees) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("a statement that cannot run inside a transaction block must be alone in its step"),
				 errhint("Make it a step of its own: 'VACUUM t' ~> 'SELECT ...'.")));
	raw = linitial_node(RawStmt, parsetrees);

	InitializeQueryCompletion(&qc);
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(role, save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	current_step_role = role;
	PG_TRY();
	{
		List	   *querytrees;
		List	   *plantrees;
		Portal		portal;
		DestReceiver *receiver;
		bool		snapshot_set = false;

		if (analyze_requires_snapshot(raw))
		{
			PushActiveSnapshot(GetTransactionSnapshot());
			snapshot_set = true;
		}
		querytrees = pg_analyze_and_rewrite_fixedparams(raw, sql, NULL, 0, NULL);
		plantrees = pg_plan_queries(querytrees, sql, CURSOR_OPT_PARALLEL_OK, NULL);
		if (snapshot_set)
			PopActiveSnapshot();
		portal = CreatePortal("", true, true);
		portal->visible = false;
		PortalDefineQuery(portal, NULL, sql, CreateCommandTag(raw->stmt), plantrees, NULL);
		PortalStart(portal, NULL, 0, InvalidSnapshot);
		receiver = CreateDestReceiver(DestNone);
		(void) PortalRun(portal, FETCH_ALL, true, true, receiver, receiver, &qc);
		receiver->rDestroy(receiver);
		PortalDrop(portal, false);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec_context);
		current_step_role = InvalidOid;
	}
	PG_END_TRY();
	return qc.nprocessed;
}

/* Runs the pending statement and reports its outcome (df._toplevel_done). */
static void
make_toplevel_run(TopLevelRun *run)
{
	Oid			argtypes[9] = {INT8OID, TIMESTAMPTZOID, TEXTOID, INT4OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		args[9];
	char		nulls[9] = {' ', ' ', 'n', 'n', ' ', 'n', 'n', 'n', 'n'};
	uint64		processed = 0;
	ErrorData  *volatile edata = NULL;
	MemoryContext runctx = http_context;

	pgstat_report_activity(STATE_RUNNING, run->sql);
	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		processed = run_toplevel_as(run->submitter, run->sql);
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(runctx);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
	}
	PG_END_TRY();

	if (ProcDiePending)
		return;					/* not reported: run again when it comes due */
	QueryCancelPending = false;

	/* (the report's arguments with the run, which the next step frees) */
	MemoryContextSwitchTo(http_context);
	args[0] = Int64GetDatum(run->item);
	args[1] = TimestampTzGetDatum(run->token);
	if (run->bind != NULL)
	{
		args[2] = CStringGetTextDatum(run->bind);
		nulls[2] = ' ';
	}
	if (!run->next_isnull)
	{
		args[3] = Int32GetDatum(run->next);
		nulls[3] = ' ';
	}
	args[4] = Int64GetDatum((int64) processed);
	if (edata != NULL)
	{
		args[5] = CStringGetTextDatum(edata->message ? edata->message : "unknown error");
		args[6] = CStringGetTextDatum(unpack_sql_state(edata->sqlerrcode));
		nulls[5] = nulls[6] = ' ';
		if (edata->detail)
		{
			args[7] = CStringGetTextDatum(edata->detail);
			nulls[7] = ' ';
		}
		if (edata->hint)
		{
			args[8] = CStringGetTextDatum(edata->hint);
			nulls[8] = ' ';
		}
	}

	/* what cannot be recorded now stays parked, and runs again when it comes due */
	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		SPI_connect();
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "dfc: recording a statement's outcome");
		if (SPI_execute_plan(kept_plan(&toplevel_done_plan, "SELECT df._toplevel_done($1, $2, $3, $4, $5, $6, $7, $8, $9)", 9, argtypes),
							 args, nulls, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "SELECT df._toplevel_done() failed");
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *report;

		MemoryContextSwitchTo(runctx);
		report = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		if (!ProcDiePending)
			ereport(LOG,
					(errmsg("dfc could not record the outcome of the statement of queue item " INT64_FORMAT
							" (it will run again): %s", run->item, report->message)));
		FreeErrorData(report);
	}
	PG_END_TRY();
}

static TimestampTz next_due = 0;

static bool
run_one_step(int64 *item)
{
	bool		isnull;
	Datum		claimed;
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1];
	int			ret;

	if (http_context == NULL)
		http_context = AllocSetContextCreate(TopMemoryContext, "dfc HTTP call", ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(http_context);
	pending_http = NULL;
	pending_toplevel = NULL;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());

	ret = SPI_execute_plan(kept_plan(&claim_plan, "SELECT df._claim()", 0, NULL),
						   NULL, NULL, false, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "SELECT df._claim() failed: %s", SPI_result_code_string(ret));
	claimed = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

	if (!isnull)
	{
		*item = DatumGetInt64(claimed);
		pg_atomic_write_u64(&my_slot->cancel_item, 0);
		pg_atomic_write_u64(&my_slot->current_item, (uint64) *item);
		pgstat_report_activity(STATE_RUNNING, "dfc: running a workflow step");
		args[0] = Int64GetDatum(*item);

		/*
		 * df._run runs the step in a subtransaction of its own and records a
		 * step that raised in this transaction, under the claim.  What
		 * escapes it (a failure to checkpoint, the worker ending) rolls back
		 * the whole transaction; the caller then records the failure in a
		 * new one.
		 */
		ret = SPI_execute_plan(kept_plan(&run_plan, "SELECT df._run($1)", 1, argtypes),
							   args, NULL, false, 1);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "SELECT df._run() failed: %s", SPI_result_code_string(ret));
		/*
		 * an HTTP step's call, or a statement that cannot run inside a
		 * transaction block, made once this transaction has committed
		 */
		if (SPI_processed == 1 && SPI_gettypeid(SPI_tuptable->tupdesc, 1) != VOIDOID)
		{
			bool		callnull;
			Datum		call = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &callnull);

			if (!callnull)
			{
				pending_toplevel = toplevel_run_from(DatumGetHeapTupleHeader(call));
				if (pending_toplevel == NULL)
					pending_http = http_call_from(DatumGetHeapTupleHeader(call));
			}
		}
	}
	else
	{
		bool		dueisnull;
		Datum		due;

		ret = SPI_execute_plan(kept_plan(&next_due_plan, "SELECT df._next_due()", 0, NULL),
							   NULL, NULL, false, 1);
		if (ret != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "SELECT df._next_due() failed: %s", SPI_result_code_string(ret));
		due = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &dueisnull);
		next_due = dueisnull ? 0 : DatumGetTimestampTz(due);
	}

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	if (pending_http != NULL)
		make_http_call(pending_http);
	if (pending_toplevel != NULL)
		make_toplevel_run(pending_toplevel);
	clear_current_item();
	if (!isnull)
		count_step();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return !isnull;
}

/* What a step may leave in the session beyond its transaction. */
static void
discard_step_leftovers(void)
{
	DropAllPreparedStatements();
	LockReleaseAll(USER_LOCKMETHOD, true);
}

/* SELECT df._fail(item, ...) for a step that raised edata (SPI connected). */
static void
call_fail(int64 item, ErrorData *edata)
{
	Oid			argtypes[5] = {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};

	args[0] = Int64GetDatum(item);
	args[1] = CStringGetTextDatum(unpack_sql_state(edata->sqlerrcode));
	args[2] = CStringGetTextDatum(edata->message ? edata->message : "unknown error");
	if (edata->detail)
		args[3] = CStringGetTextDatum(edata->detail);
	else
		nulls[3] = 'n';
	if (edata->hint)
		args[4] = CStringGetTextDatum(edata->hint);
	else
		nulls[4] = 'n';

	pgstat_report_activity(STATE_RUNNING, "dfc: recording a failed step");
	if (SPI_execute_plan(kept_plan(&fail_plan, "SELECT df._fail($1, $2, $3, $4, $5)", 5, argtypes),
						 args, nulls, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "SELECT df._fail() failed");
}

/*
 * Records a failed step in a new transaction: when the failure could not be
 * recorded in the step's own transaction (run_one_step).
 */
static void
record_failure(int64 item, ErrorData *edata)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	call_fail(item, edata);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	count_step();
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * Retention: the first step worker removes a batch of expired instances
 * (df._expire_instances) about once a second, busy or idle.
 */
static TimestampTz last_expiry = 0;

static bool
expire_instances(int64 *item)
{
	int			ret;

	(void) item;
	last_expiry = GetCurrentTimestamp();
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "dfc: removing expired instances");
	ret = SPI_execute_plan(kept_plan(&expire_plan, "SELECT df._expire_instances()", 0, NULL),
						   NULL, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SELECT df._expire_instances() failed: %s", SPI_result_code_string(ret));
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return false;
}

/*
 * Reports the step that was running when this slot's previous worker exited
 * (df._step_ended_worker counts it and fails the item after a few times).
 */
static bool
report_died_step(int64 *item)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1];
	int64		died = (int64) pg_atomic_read_u64(&my_slot->died_item);

	if (died == 0)
		return false;
	args[0] = Int64GetDatum(died);
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "dfc: recording a step that ended its worker");
	if (SPI_execute_with_args("SELECT df._step_ended_worker($1)", 1, argtypes, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "SELECT df._step_ended_worker() failed");
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	pg_atomic_write_u64(&my_slot->died_item, 0);
	return true;
}

/*
 * Runs "step" (which starts and commits its own transaction); on error, rolls
 * the transaction back and returns a copy of the error (in loopctx), else
 * NULL.
 */
static ErrorData *
run_guarded(bool (*step) (int64 *), int64 *item, bool *did_work,
			MemoryContext loopctx)
{
	ErrorData  *edata = NULL;

	PG_TRY();
	{
		*did_work = step(item);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(loopctx);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		clear_current_item();
		*did_work = true;
	}
	PG_END_TRY();
	return edata;
}

void
dfc_step_worker_main(Datum main_arg)
{
	int			index = DatumGetInt32(main_arg);
	MemoryContext loopctx;
	bool		runtime_ready = false;
	bool		warned_missing = false;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	pqsignal(SIGINT, dfc_sigint_handler);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(dfc_database, NULL, 0);

	my_slot = &dfc_shared->slots[index];
	pg_atomic_write_u64(&my_slot->current_item, 0);
	my_slot->started_at = GetCurrentTimestamp();
	pg_atomic_write_u64(&my_slot->steps, 0);
	pg_atomic_write_u64(&my_slot->failures, 0);
	pg_atomic_write_u64(&my_slot->last_step_at, 0);
	memset(my_slot->second_of, 0, sizeof(my_slot->second_of));
	memset(my_slot->steps_in, 0, sizeof(my_slot->steps_in));
	my_slot->pid = MyProcPid;
	dfc_shared->slots[index].pgprocno = MyProc->pgprocno;
	pg_write_barrier();
	dfc_shared->slots[index].database = MyDatabaseId;
	before_shmem_exit(dfc_detach_slot, Int32GetDatum(index));

	ereport(LOG,
			(errmsg("dfc step worker %d started in database \"%s\"",
					index + 1, dfc_database)));

	loopctx = AllocSetContextCreate(TopMemoryContext, "dfc step worker loop",
									ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		bool		did_work = false;
		int64		item = 0;
		ErrorData  *edata;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		MemoryContextReset(loopctx);
		MemoryContextSwitchTo(loopctx);

		if (!runtime_ready)
		{
			runtime_ready = runtime_installed();
			MemoryContextSwitchTo(loopctx);
			if (!runtime_ready && !warned_missing)
			{
				ereport(LOG,
						(errmsg("dfc step worker %d: the dfc runtime is not installed in database \"%s\", waiting",
								index + 1, dfc_database),
						 errhint("Install it with CREATE EXTENSION dfc or dfc runtime --install.")));
				warned_missing = true;
			}
		}

		if (runtime_ready && pg_atomic_read_u64(&my_slot->died_item) != 0)
		{
			edata = run_guarded(report_died_step, &item, &did_work, loopctx);
			MemoryContextSwitchTo(loopctx);
			if (edata != NULL)
				ereport(LOG,
						(errmsg("dfc step worker %d could not record the step that ended its predecessor: %s",
								index + 1, edata->message)));
			/* reported once, or given up on: a later exit reports again */
			pg_atomic_write_u64(&my_slot->died_item, 0);
			item = 0;
		}

		if (runtime_ready && has_expire_function && index == 0 && dfc_retention > 0
			&& TimestampDifferenceExceeds(last_expiry, GetCurrentTimestamp(), 1000))
		{
			bool		ignored;

			edata = run_guarded(expire_instances, &item, &ignored, loopctx);
			MemoryContextSwitchTo(loopctx);
			if (edata != NULL)
				ereport(LOG,
						(errmsg("dfc step worker %d could not remove expired instances: %s",
								index + 1, edata->message)));
			item = 0;
		}

		if (runtime_ready)
		{
			edata = run_guarded(run_one_step, &item, &did_work, loopctx);
			MemoryContextSwitchTo(loopctx);
			if (edata != NULL && item == 0)
			{
				/* not a step failure: the runtime itself is broken or gone */
				ereport(LOG,
						(errmsg("dfc step worker %d could not claim work: %s",
								index + 1, edata->message)));
				runtime_ready = false;
				warned_missing = false;
				did_work = false;
			}
			else if (edata != NULL
					 && (edata->sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED
						 || edata->sqlerrcode == ERRCODE_T_R_SERIALIZATION_FAILURE))
			{
				/*
				 * Not the step's failure: df._run catches every error of the
				 * step's own SQL, so this came from the runtime's bookkeeping
				 * around it (two branches of one fork ending at once, say).
				 * The transaction rolled back, step included; the item is
				 * runnable still and claimed again.
				 */
				ereport(LOG,
						(errmsg("dfc step of queue item " INT64_FORMAT " rolled back, to run again: %s",
								item, edata->message)));
			}
			else if (edata != NULL)
			{
				ErrorData  *volatile fail_error = NULL;
				int64		failed_item = item;

				ereport(LOG,
						(errmsg("dfc step failed (queue item " INT64_FORMAT "): %s",
								item, edata->message)));

				PG_TRY();
				{
					record_failure(failed_item, edata);
				}
				PG_CATCH();
				{
					MemoryContextSwitchTo(loopctx);
					fail_error = CopyErrorData();
					FlushErrorState();
					AbortCurrentTransaction();
				}
				PG_END_TRY();
				MemoryContextSwitchTo(loopctx);
				if (fail_error != NULL)
				{
					ereport(WARNING,
							(errmsg("dfc could not record the failure of queue item " INT64_FORMAT ": %s",
									failed_item, fail_error->message)));
					/* don't spin on an item that can be neither run nor failed */
					did_work = false;
				}
			}
		}

		/* While there is work, go on at once. */
		if (did_work)
		{
			discard_step_leftovers();
			continue;
		}

		/* Idle: until woken, the next timer is due, or a nap has passed. */
		{
			long		timeout = DFC_NAPTIME_MS;

			if (runtime_ready && next_due != 0)
			{
				long		until = (long) ((next_due - GetCurrentTimestamp()) / 1000);

				timeout = Max(1L, Min(timeout, until + 1));
			}
			next_due = 0;
			(void) WaitLatch(MyLatch,
							 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 timeout,
							 PG_WAIT_EXTENSION);
		}
		ResetLatch(MyLatch);
	}
}
